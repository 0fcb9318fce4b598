import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface H2loadResult {
  readonly requestsPerSecond: number;
  readonly succeeded: number;
  readonly failed: number;
}

export interface H2loadOptions {
  readonly url: string;
  /** "grpc": POSTs `bodyFile` as a gRPC call over h2c; "http1": plain HTTP/1.1 GETs (REST). */
  readonly protocol?: "grpc" | "http1";
  readonly bodyFile?: string;
  readonly requests: number;
  readonly clients: number;
  readonly streamsPerClient: number;
  /** CPU (or CPU list, e.g. "0-1") the load generator is pinned to, so it never competes with the server under test. */
  readonly cpu: number | string;
  readonly headers?: Record<string, string>;
  /**
   * Open loop: each client sends this many requests per second on its own timer instead of
   * as fast as answers come back (h2load `--rps`).
   */
  readonly perClientRate?: number;
  /**
   * Clients connect (and so start their timers) this many whole milliseconds apart (h2load
   * `-r 1 --rate-period`, which takes no fractions).
   */
  readonly clientStartSpacingMs?: number;
  /** Per-request log: start time (µs since the epoch), HTTP status, µs until the response ended. */
  readonly logFile?: string;
}

/**
 * Runs h2load (Debian's nghttp2-client) against a gRPC endpoint and parses its summary. h2load is a
 * C load generator, so on two cores one core drives the load and the other serves it.
 */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const grpc = (options.protocol ?? "grpc") === "grpc";
  const headerArgs = Object.entries({
    ...(grpc ? { "content-type": "application/grpc", te: "trailers" } : {}),
    ...options.headers,
  }).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
  const protocolArgs = grpc ? ["-d", options.bodyFile ?? "/dev/null"] : ["--h1"];
  const openLoopArgs = [
    ...(options.perClientRate === undefined ? [] : ["--rps", String(options.perClientRate)]),
    ...(options.clientStartSpacingMs === undefined
      ? []
      : ["-r", "1", "--rate-period", `${options.clientStartSpacingMs}ms`]),
    ...(options.logFile === undefined ? [] : ["--log-file", options.logFile]),
  ];
  const { stdout } = await runOrExplain(
    "taskset",
    [
      "-c",
      String(options.cpu),
      "h2load",
      "-n",
      String(options.requests),
      "-c",
      String(options.clients),
      "-m",
      String(options.streamsPerClient),
      ...protocolArgs,
      ...openLoopArgs,
      ...headerArgs,
      options.url,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout);
  const counts = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(stdout);
  if (!rate || !counts) throw new Error(`unexpected h2load output:\n${stdout}`);
  return {
    requestsPerSecond: Number(rate[1]),
    succeeded: Number(counts[1]),
    failed: Number(counts[2]),
  };
}

/**
 * Runs the command, turning "not installed" into a message that says what to install: taskset
 * reports a missing h2load as exit code 127, which would otherwise surface as a bare stack trace.
 */
async function runOrExplain(...args: Parameters<typeof run>): Promise<{ stdout: string }> {
  try {
    const { stdout } = await run(...args);
    return { stdout: String(stdout) };
  } catch (error) {
    const failure = error as { code?: unknown; stderr?: unknown };
    if (failure.code === 127 || failure.code === "ENOENT") {
      throw new Error(
        `h2load or taskset is not installed (${String(failure.stderr ?? "").trim()}): install Debian's nghttp2-client and util-linux`,
      );
    }
    throw error;
  }
}
