import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** What an outbox relay records: the dashboard's "Outbox relay lag and pending events" panel. */
export interface OutboxRelayMetrics {
  /** `outbox_relay_lag_seconds`: from the row's insert (in the business transaction) to its PubAck. */
  readonly lag: Histogram;
  /** `outbox_published_total`. */
  readonly published: Counter;
  /** `outbox_relay_failures_total`: rounds that failed and were retried after a back-off. */
  readonly failures: Counter;
}

/**
 * Registers an outbox relay's metrics on a service's registry, or returns the ones already there
 * (two relays of one process share the series). `countPending` answers "rows committed but not yet
 * published" and runs when Prometheus scrapes, so the backlog is current without a timer.
 *
 * Why shared: the Postgres relay and the order service's MongoDB relay must export the same names,
 * or the dashboard shows an outbox for some services and silently nothing for the others.
 */
export function createOutboxRelayMetrics(
  registry: Registry,
  countPending: () => Promise<number>,
): OutboxRelayMetrics {
  const existing = registry.getSingleMetric("outbox_relay_lag_seconds");
  if (existing) {
    return {
      lag: existing as Histogram,
      published: registry.getSingleMetric("outbox_published_total") as Counter,
      failures: registry.getSingleMetric("outbox_relay_failures_total") as Counter,
    };
  }
  const registers = [registry];
  new Gauge({
    name: "outbox_pending_events",
    help: "Outbox rows committed but not yet published to JetStream.",
    registers,
    async collect() {
      this.set(await countPending());
    },
  });
  return {
    lag: new Histogram({
      name: "outbox_relay_lag_seconds",
      help: "Time from an outbox row's commit-time insert to its publication on JetStream.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    published: new Counter({
      name: "outbox_published_total",
      help: "Outbox rows published to JetStream.",
      registers,
    }),
    failures: new Counter({
      name: "outbox_relay_failures_total",
      help: "Relay rounds that failed (database or NATS unavailable) and were retried after a back-off.",
      registers,
    }),
  };
}
