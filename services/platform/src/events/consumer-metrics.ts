import { Gauge, type Registry } from "prom-client";

/** One durable consumer whose backlog is reported. */
export interface PendingSource {
  /** Stream name as on the server (namespaced in tests). */
  readonly stream: string;
  /** Durable consumer name. */
  readonly consumer: string;
  /** Asks the server for the consumer's `num_pending` (messages not yet delivered to it). */
  read(): Promise<number>;
}

export interface PendingTracking {
  /** Stops reporting this consumer and removes its series (the consumer stopped). */
  untrack(): void;
}

const metricName = "jetstream_consumer_pending_messages";
/** The sources per registry: several consumers of one service share one gauge. */
const sourcesByRegistry = new WeakMap<Registry, Set<PendingSource>>();

/**
 * Reports a durable consumer's backlog as `jetstream_consumer_pending_messages{stream,consumer}`:
 * the consumer info's `num_pending`, read from the server when Prometheus scrapes.
 *
 * Why at scrape time: the value is always current when looked at, costs nothing between scrapes and
 * needs no timer to stop. A consumer whose backlog grows while its service is healthy is the first
 * sign of a stuck or too slow handler, which is what the dashboard's consumer-lag panel shows. When
 * the server cannot answer, the series keeps its last value for that scrape.
 */
export function trackConsumerPending(registry: Registry, source: PendingSource): PendingTracking {
  let sources = sourcesByRegistry.get(registry);
  let gauge = registry.getSingleMetric(metricName) as Gauge<"stream" | "consumer"> | undefined;
  if (!sources || !gauge) {
    const tracked = new Set<PendingSource>();
    sources = tracked;
    sourcesByRegistry.set(registry, tracked);
    gauge = new Gauge({
      name: metricName,
      help: "Messages of the stream not yet delivered to the durable consumer (JetStream num_pending).",
      labelNames: ["stream", "consumer"] as const,
      registers: [registry],
      async collect() {
        await Promise.all(
          [...tracked].map(async (each) => {
            try {
              this.labels(each.stream, each.consumer).set(await each.read());
            } catch {
              // NATS unreachable: keep the last sample rather than fail the whole scrape.
            }
          }),
        );
      },
    });
  }
  sources.add(source);
  const owner = gauge;
  const set = sources;
  return {
    untrack() {
      set.delete(source);
      owner.remove(source.stream, source.consumer);
    },
  };
}
