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

/** One stream whose stored message count is reported (the dead-letter stream). */
export interface StreamMessagesSource {
  /** Stream name as on the server (namespaced in tests). */
  readonly stream: string;
  /** Asks the server for the stream's `state.messages`. */
  read(): Promise<number>;
}

export interface PendingTracking {
  /** Stops reporting this source and removes its series unless another source still reports it. */
  untrack(): void;
}

/** A series of a gauge whose value is read from the server when Prometheus scrapes. */
interface ScrapedSource {
  readonly labels: Readonly<Record<string, string>>;
  read(): Promise<number>;
}

interface ScrapedGauge {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

const consumerPending: ScrapedGauge = {
  name: "jetstream_consumer_pending_messages",
  help: "Messages of the stream not yet delivered to the durable consumer (JetStream num_pending).",
  labelNames: ["stream", "consumer"],
};

const streamMessages: ScrapedGauge = {
  name: "jetstream_stream_messages",
  help: "Messages stored in the stream (JetStream state.messages); for the dead-letter stream, events parked for an operator.",
  labelNames: ["stream"],
};

/** The sources per registry and gauge name: several consumers of one service share one gauge. */
const sourcesByRegistry = new WeakMap<Registry, Map<string, Set<ScrapedSource>>>();

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Adds a source to a scrape-time gauge of the registry, creating the gauge on first use. Sources with
 * the same labels share one series and one server read per scrape. When the server cannot answer,
 * the series keeps its last value for that scrape rather than failing the whole scrape.
 */
function trackScraped(registry: Registry, spec: ScrapedGauge, source: ScrapedSource): PendingTracking {
  let byName = sourcesByRegistry.get(registry);
  if (!byName) {
    byName = new Map();
    sourcesByRegistry.set(registry, byName);
  }
  let sources = byName.get(spec.name);
  let gauge = registry.getSingleMetric(spec.name) as Gauge | undefined;
  if (!sources || !gauge) {
    const tracked = new Set<ScrapedSource>();
    sources = tracked;
    byName.set(spec.name, tracked);
    gauge = new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [registry],
      async collect() {
        const unique = new Map<string, ScrapedSource>();
        for (const each of tracked) unique.set(seriesKey(each.labels), each);
        await Promise.all(
          [...unique.values()].map(async (each) => {
            try {
              this.set(each.labels, await each.read());
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
      const key = seriesKey(source.labels);
      if (![...set].some((other) => seriesKey(other.labels) === key)) owner.remove(source.labels);
    },
  };
}

/**
 * Reports a durable consumer's backlog as `jetstream_consumer_pending_messages{stream,consumer}`:
 * the consumer info's `num_pending`, read from the server when Prometheus scrapes.
 *
 * Why at scrape time: the value is always current when looked at, costs nothing between scrapes and
 * needs no timer to stop. A consumer whose backlog grows while its service is healthy is the first
 * sign of a stuck or too slow handler, which is what the dashboard's consumer-lag panel shows.
 */
export function trackConsumerPending(registry: Registry, source: PendingSource): PendingTracking {
  return trackScraped(registry, consumerPending, {
    labels: { stream: source.stream, consumer: source.consumer },
    read: () => source.read(),
  });
}

/**
 * Reports how many messages a stream holds as `jetstream_stream_messages{stream}`, read from the
 * server when Prometheus scrapes. Consumers report the dead-letter stream this way: its depth is the
 * number of events parked for an operator, which drops again when they are redriven or purged, so
 * the dashboard's "Dead-lettered messages" panel shows what is waiting, not only what once failed.
 */
export function trackStreamMessages(registry: Registry, source: StreamMessagesSource): PendingTracking {
  return trackScraped(registry, streamMessages, {
    labels: { stream: source.stream },
    read: () => source.read(),
  });
}
