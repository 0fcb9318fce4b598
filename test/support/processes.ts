/**
 * Real child processes for failure tests: a service started exactly as it is deployed
 * (`node --import tsx services/<name>/src/main.ts` with its environment), and a private
 * `nats-server -js` that a test may stop and restart without touching the shared one.
 *
 * Why processes and not in-process services: `kill -9` and a server outage are only honest when the
 * operating system ends the process — no `finally`, no graceful shutdown hook, sockets cut mid-write.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";
import { freePort } from "@shop/platform/testing";
import { connect } from "nats";

/** The repository root: child processes run from it so `services/<name>/src/main.ts` resolves. */
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Keeps the newest output only, so a chatty process cannot grow the test's memory without bound. */
const maxLogChars = 2_000_000;

/** Children still running, killed when the test process exits so none outlives a crashed run. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Collects a child's stdout and stderr, prefixed, into one bounded buffer. */
function createLogBuffer(label: string) {
  let text = "";
  const append = (chunk: Buffer | string) => {
    const lines = String(chunk)
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => `[${label}] ${line}\n`)
      .join("");
    text += lines;
    if (text.length > maxLogChars) text = text.slice(text.length - maxLogChars);
  };
  return { append, read: () => text, note: (line: string) => append(`--- ${line} ---`) };
}

/** Waits for a child to exit; resolves at once when it already has. Bounded: SIGKILL after `ms`. */
async function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Repeats `probe` until it is true, failing with `what` after `timeoutMs` or when `abort` says why. */
async function pollUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  abort: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

export interface ServiceProcessOptions {
  /** The folder under `services/`, e.g. `order`. */
  readonly service: string;
  /**
   * The service's environment (its config.ts variables). Nothing else from the test's environment is
   * passed on except PATH and HOME, so a MONGO_URL or NATS_URL of the developer's shell cannot leak in.
   */
  readonly env: Readonly<Record<string, string>>;
  /** gRPC port; a free one by default. Kept across restarts so clients keep their address. */
  readonly port?: number;
  /** Bound on reaching health SERVING after a (re)start. Default 30 s. */
  readonly startTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly service: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for gRPC clients and other services' upstream URLs. */
  readonly url: string;
  /** The current process id (changes on restart); undefined while stopped. */
  pid(): number | undefined;
  /** Everything the process (and its predecessors) wrote to stdout and stderr, prefixed. */
  logs(): string;
  /** Sends `signal` and waits until the process is gone (bounded; SIGKILL as a last resort). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again with the same port and environment, and waits for SERVING. */
  restart(): Promise<void>;
  /** SIGTERM (graceful shutdown), then waits for the exit. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `services/<service>/src/main.ts` as a child process and resolves once its gRPC health check
 * answers SERVING. Why health and not a log line: it is what Kubernetes and the mesh probe, so a test
 * that passes here starts the service the way production does. If the process exits or never becomes
 * healthy, the error carries its logs.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const log = createLogBuffer(options.service);
  const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
  let child: ChildProcess | undefined;

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...(process.env.HOME === undefined ? {} : { HOME: process.env.HOME }),
    ...options.env,
    PORT: String(port),
  };

  async function launch(): Promise<void> {
    const proc = spawn(process.execPath, ["--import", "tsx", `services/${options.service}/src/main.ts`], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    running.add(proc);
    log.note(`started pid ${proc.pid}`);
    proc.stdout?.on("data", log.append);
    proc.stderr?.on("data", log.append);
    proc.once("exit", (code, signal) => {
      running.delete(proc);
      log.note(`pid ${proc.pid} exited (code ${code}, signal ${signal})`);
    });
    try {
      await pollUntil(
        `${options.service} health SERVING on ${url}`,
        async () => {
          try {
            const answer = await health.check({ service: "" }, { timeoutMs: 1_000 });
            return answer.status === HealthCheckResponse_ServingStatus.SERVING;
          } catch {
            return false;
          }
        },
        startTimeoutMs,
        () =>
          proc.exitCode !== null || proc.signalCode !== null
            ? `the process exited early (code ${proc.exitCode}, signal ${proc.signalCode})`
            : undefined,
      );
    } catch (error) {
      await kill("SIGKILL");
      throw new Error(`${(error as Error).message}\n${log.read()}`);
    }
  }

  async function kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = child;
    if (!proc) return;
    log.note(`sending ${signal}`);
    proc.kill(signal);
    await waitForExit(proc, 20_000);
    child = undefined;
  }

  await launch();
  return {
    service: options.service,
    port,
    url,
    pid: () => child?.pid,
    logs: log.read,
    kill,
    async restart() {
      await kill("SIGKILL");
      await launch();
    },
    stop: () => kill("SIGTERM"),
  };
}

export interface NatsServerProcess {
  /** `nats://127.0.0.1:<port>`; the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** Whether the server process is up right now. */
  isRunning(): boolean;
  logs(): string;
  /** Stops the server (SIGTERM: JetStream flushes its store) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and deletes its store directory. */
  dispose(): Promise<void>;
}

/**
 * Starts a private `nats-server -js` (from PATH) on a free port with its own store directory.
 * Why: an outage test must stop NATS, and stopping the shared server would break every other test
 * running at the same time; a private server also isolates the run's streams without a namespace.
 */
export async function startNatsServer(
  options: { readonly startTimeoutMs?: number } = {},
): Promise<NatsServerProcess> {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const storeDir = await mkdtemp(join(tmpdir(), "shop-nats-"));
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const log = createLogBuffer("nats");
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    running.add(proc);
    proc.stdout?.on("data", log.append);
    proc.stderr?.on("data", log.append);
    proc.once("exit", (code, signal) => {
      running.delete(proc);
      if (child === proc) child = undefined;
      log.note(`nats-server exited (code ${code}, signal ${signal})`);
    });
    await pollUntil(
      `nats-server accepting connections on ${url}`,
      async () => {
        try {
          const nc = await connect({ servers: url, timeout: 1_000, reconnect: false });
          // JetStream answers only once its store is recovered.
          await (await nc.jetstreamManager({ timeout: 1_000 })).getAccountInfo();
          await nc.close();
          return true;
        } catch {
          return false;
        }
      },
      startTimeoutMs,
      () => (proc.exitCode !== null ? `nats-server exited early:\n${log.read()}` : undefined),
    );
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill("SIGTERM");
    await waitForExit(proc, 10_000);
    child = undefined;
  }

  await start();
  return {
    url,
    port,
    isRunning: () => child !== undefined,
    logs: log.read,
    stop,
    start,
    async dispose() {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `work`; if it throws, prints the logs of the given processes first, then rethrows. Why: a
 * failed end-to-end test is only debuggable with the services' own logs, but a passing run must stay
 * quiet, so the logs are buffered and shown on failure only.
 */
export async function withLogsOnFailure<T>(
  sources: ReadonlyArray<{ logs(): string }>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    for (const source of sources) process.stderr.write(source.logs());
    throw error;
  }
}

/**
 * Runs a repository script as a child process (e.g. `scripts/dlq.ts redrive 3`) and returns its exit
 * code and output. Why: operator commands are tested as operators run them, through their `main`.
 */
export async function runScript(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout?.on("data", (chunk) => {
    stdout += String(chunk);
  });
  proc.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const code = await exited;
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    running.delete(proc);
  }
}
