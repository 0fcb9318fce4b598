import { percentile } from "./stats.js";

export interface PairedLatency {
  /** Requests found in both logs (same trace id). */
  readonly pairs: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * The time a proxy adds to each request, from the two services' own request logs: for every trace
 * id in both, the proxy's logged duration minus the upstream handler's, in ms.
 *
 * Why pairs and not the difference of two runs' p99s: the upstream's own tail (its GC pauses, a slow
 * Postgres query) moves its p99 by several ms from one run to the next, far more than the proxy adds,
 * so two separately measured p99s can even differ the wrong way round. Paired per request, the
 * upstream's time cancels out and what is left is the proxy's: its parsing, queueing and pauses, and
 * both hops. What it cannot see is time before the proxy's log clock starts (the kernel's accept
 * queue and the HTTP parser); the client-side figures beside it include that.
 *
 * `proxyLog` lines carry `trace_id` and `durationMs`; `upstreamLog` lines `trace_id` and `duration_ms`
 * (the edge's request log and the platform's RPC log); other lines are skipped.
 */
export function pairedAddedLatency(proxyLog: string, upstreamLog: string): PairedLatency {
  const upstream = new Map<string, number>();
  for (const entry of jsonLines(upstreamLog)) {
    if (typeof entry.trace_id === "string" && typeof entry.duration_ms === "number") {
      upstream.set(entry.trace_id, entry.duration_ms);
    }
  }
  const added: number[] = [];
  for (const entry of jsonLines(proxyLog)) {
    if (typeof entry.trace_id !== "string" || typeof entry.durationMs !== "number") continue;
    const inner = upstream.get(entry.trace_id);
    if (inner !== undefined) added.push(entry.durationMs - inner);
  }
  if (added.length === 0)
    throw new Error("no request appears in both logs: are request logs on (LOG_LEVEL=info)?");
  return { pairs: added.length, p50: percentile(added, 50), p99: percentile(added, 99) };
}

function* jsonLines(text: string): Generator<Record<string, unknown>> {
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch {
      // A line cut at the start of the capture.
    }
  }
}
