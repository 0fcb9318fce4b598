import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runH2load } from "./h2load.js";
import { percentile } from "./stats.js";

export interface OpenLoopOptions {
  readonly url: string;
  /** "grpc": POSTs `bodyFile` over h2c; "http1": GETs over keep-alive HTTP/1.1. */
  readonly protocol: "grpc" | "http1";
  readonly bodyFile?: string;
  /** Requests per second offered, whatever the answers' speed. */
  readonly rate: number;
  /** Length of the measured window, once every client is sending. */
  readonly seconds: number;
  /** CPUs h2load may run on. */
  readonly cpus: string;
}

export interface OpenLoopLatency {
  readonly p50: number;
  readonly p99: number;
  /** Requests in the window that did not end in HTTP 200, plus those h2load counts as failed. */
  readonly failures: number;
  /** Requests per second actually started inside the window. */
  readonly achievedRate: number;
  readonly measured: number;
}

/** Each client's own send rate: low enough that an HTTP/1.1 connection is almost never still busy. */
const perClientRate = 10;

/**
 * Latency at a fixed offered rate, from h2load in open loop: `rate / 10` clients each send 10
 * requests a second on their own timer, the clients starting `1000 / rate` ms apart so their timers
 * interleave into an even stream instead of firing together. Percentiles come from h2load's
 * per-request log, counted only over the window in which every client is sending.
 *
 * Why h2load and not a Node script: a Node generator spent a fifth of a core at 500 req/s on the
 * same two cores as the servers it measured, and its own event-loop and GC pauses landed in the
 * figures. Why 10 per client: over HTTP/1.1 a client whose previous answer is late sends its next
 * request late (and times it from then); at 100 ms between a client's requests that happens only
 * to answers slower than 100 ms, far beyond the percentiles reported.
 */
export async function measureOpenLoopLatency(options: OpenLoopOptions): Promise<OpenLoopLatency> {
  const clients = Math.max(1, Math.round(options.rate / perClientRate));
  const clientRate = options.rate / clients;
  const spacingMs = Math.max(1, Math.round(1000 / options.rate));
  const rampSeconds = (clients * spacingMs) / 1000;
  const perClient = Math.ceil(clientRate * (options.seconds + rampSeconds));
  const directory = await mkdtemp(join(tmpdir(), "shop-open-loop-"));
  const logFile = join(directory, "requests.tsv");
  try {
    const summary = await runH2load({
      url: options.url,
      protocol: options.protocol,
      ...(options.bodyFile ? { bodyFile: options.bodyFile } : {}),
      requests: perClient * clients,
      clients,
      streamsPerClient: options.protocol === "grpc" ? 8 : 1,
      cpu: options.cpus,
      perClientRate: clientRate,
      clientStartSpacingMs: spacingMs,
      logFile,
    });
    const rows = parseRequestLog(await readFile(logFile, "utf8"));
    if (rows.length === 0) throw new Error(`h2load logged no requests for ${options.url}`);
    const firstStart = Math.min(...rows.map((row) => row.startMicros));
    // Every client is sending from the last one's start until the first one runs out of requests.
    const windowStart = firstStart + rampSeconds * 1e6;
    const windowEnd = firstStart + (perClient / clientRate) * 1e6;
    const inWindow = rows.filter((row) => row.startMicros >= windowStart && row.startMicros < windowEnd);
    const succeeded = inWindow.filter((row) => row.status === 200).map((row) => row.durationMicros / 1000);
    if (succeeded.length === 0) throw new Error(`no request to ${options.url} succeeded in the window`);
    return {
      p50: percentile(succeeded, 50),
      p99: percentile(succeeded, 99),
      failures: inWindow.length - succeeded.length + summary.failed,
      achievedRate: inWindow.length / ((windowEnd - windowStart) / 1e6),
      measured: inWindow.length,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

interface LoggedRequest {
  readonly startMicros: number;
  readonly status: number;
  readonly durationMicros: number;
}

/** h2load's `--log-file`: start (µs since the epoch) TAB status TAB duration (µs) per line. */
function parseRequestLog(text: string): LoggedRequest[] {
  const rows: LoggedRequest[] = [];
  for (const line of text.split("\n")) {
    const [start, status, duration] = line.split("\t");
    if (start === undefined || status === undefined || duration === undefined) continue;
    rows.push({ startMicros: Number(start), status: Number(status), durationMicros: Number(duration) });
  }
  return rows;
}
