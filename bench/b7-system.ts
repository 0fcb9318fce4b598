/**
 * The whole Shop mesh for B7, started exactly as a user starts it (`npm start`, the orchestrator in
 * scripts/start.ts) but isolated from any other copy on the machine: shifted ports, its own databases,
 * its own Redis keys and a private nats-server. Stopped with Ctrl-C (SIGINT) like a user stops it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createTestRedisPrefix, freePort, freePortOffset, uniqueName } from "@shop/platform/testing";
import postgres from "postgres";
import { defaultPorts } from "../scripts/start/services.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const banner = "Shop mesh is up";

export interface B7SystemOptions {
  /** Extra environment for the orchestrator; it passes its environment on to every service. */
  readonly env: Readonly<Record<string, string>>;
  readonly postgresAdminUrl: string;
  readonly readyTimeoutMs?: number;
}

export interface B7System {
  readonly edgeUrl: string;
  readonly admin: { readonly email: string; readonly password: string };
  /** The orchestrator's process id; every service is its descendant. */
  readonly rootPid: number;
  /** Every database of this run is named with this prefix. */
  readonly databasePrefix: string;
  /** The last lines the system printed (every service's log, prefixed), to explain a failed run. */
  logTail(): string;
  /** SIGINT, wait for a clean exit (SIGKILL to the process group after a grace period), then cleanup. */
  stop(): Promise<void>;
}

function waitForBanner(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        finish(new Error(`npm start printed no banner within ${timeoutMs} ms:\n${output().slice(-4000)}`)),
      timeoutMs,
    );
    const onData = () => {
      if (output().includes(banner)) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`npm start exited (code ${code}) before it was up:\n${output().slice(-4000)}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

/**
 * Starts the system with `npm start` and resolves once its banner is printed. Why the real
 * orchestrator and not in-process services: B7 measures the system as users run it, every service in
 * its own process with its own event loop, talking over real sockets, Postgres, NATS and Redis.
 */
export async function startB7System(options: B7SystemOptions): Promise<B7System> {
  const dbPrefix = `${uniqueName("bench_b7")}_`;
  const redis = createTestRedisPrefix({ prefix: "bench_b7" });
  const dataDir = mkdtempSync(join(tmpdir(), "shop-bench-b7-"));
  const admin = { email: `admin-${randomUUID()}@example.com`, password: `pw-${randomUUID()}` };
  const offset = await freePortOffset(Object.values(defaultPorts));
  const natsPort = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...options.env,
      DATABASE_URL: options.postgresAdminUrl,
      SHOP_PORT_OFFSET: String(offset),
      SHOP_DB_PREFIX: dbPrefix,
      SHOP_REDIS_PREFIX: redis.prefix,
      SHOP_DATA_DIR: dataDir,
      // Nothing listens there: the orchestrator starts its own nats-server, a JetStream no one shares.
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      SHOP_ADMIN_EMAIL: admin.email,
      SHOP_ADMIN_PASSWORD: admin.password,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a failed run can still reach every descendant.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The system's logs are read (so no pipe ever fills and blocks a service) and only the tail kept.
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    });
  }

  const cleanup = async () => {
    const sql = postgres(options.postgresAdminUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`SELECT datname FROM pg_database WHERE starts_with(datname, ${dbPrefix})`;
      for (const { datname } of rows) await sql`DROP DATABASE IF EXISTS ${sql(datname)} WITH (FORCE)`;
    } finally {
      await sql.end({ timeout: 5 });
    }
    await redis.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      if ((await Promise.race([exited.then(() => true), delay(30_000, false)])) === false) {
        try {
          process.kill(-(child.pid as number), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    await cleanup();
  };

  try {
    await waitForBanner(child, () => output, options.readyTimeoutMs ?? 120_000);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return {
    edgeUrl: `http://127.0.0.1:${defaultPorts.edge + offset}`,
    admin,
    rootPid: child.pid as number,
    databasePrefix: dbPrefix,
    logTail: () => output,
    stop,
  };
}
