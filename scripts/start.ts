/**
 * `npm start`: the whole system on one machine (ARCHITECTURE §8). Uses the infrastructure at
 * DATABASE_URL / NATS_URL / REDIS_URL / MONGO_URL when it answers, otherwise starts an embedded
 * Postgres and `nats-server -js` / `redis-server` from PATH; creates each service's database; starts
 * every service and the edge as child processes with prefixed logs; seeds an admin and a demo
 * catalog with stock; prints the URLs. Ctrl-C stops everything cleanly.
 */

import { setTimeout as delay } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";
import { parseStartConfig } from "./start/config.js";
import {
  ensureDatabases,
  ensureNats,
  ensurePostgres,
  ensureRedis,
  isListening,
  type StartedInfra,
} from "./start/infra.js";
import { type RunningProcess, startProcess } from "./start/processes.js";
import { seedDemoData } from "./start/seed.js";
import { localProcesses, type ProcessSpec } from "./start/services.js";

const config = parseStartConfig();
const infraUrls = {
  postgresAdminUrl: config.DATABASE_URL,
  natsUrl: config.NATS_URL,
  redisUrl: config.REDIS_URL,
};
const admin = { email: config.SHOP_ADMIN_EMAIL, password: config.SHOP_ADMIN_PASSWORD };

const infra: StartedInfra[] = [];
const running: RunningProcess[] = [];
let stopping = false;

async function stopAll(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log("\nstopping…");
    const unclean: string[] = [];
    for (const proc of [...running].reverse()) if (!(await proc.stop())) unclean.push(proc.spec.name);
    for (const item of [...infra].reverse()) await item.stop().catch(() => undefined);
    if (unclean.length > 0) {
      console.error(`did not shut down cleanly: ${unclean.join(", ")}`);
      process.exit(1);
    }
  }
  process.exit(exitCode);
}
process.once("SIGINT", () => void stopAll(0));
process.once("SIGTERM", () => void stopAll(0));
// Last resort if this process dies without stopping them (an uncaught error): no orphan children.
process.once("exit", () => {
  for (const proc of running) if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
});

/** Fails before anything starts when a port of the system is taken, naming the port and who wanted it. */
async function assertPortsFree(specs: readonly ProcessSpec[]): Promise<void> {
  const taken: string[] = [];
  for (const spec of specs) {
    if (await isListening("127.0.0.1", spec.port)) taken.push(`${spec.port} (${spec.name})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `port${taken.length > 1 ? "s" : ""} already in use: ${taken.join(", ")}; stop what listens there or set SHOP_PORT_OFFSET`,
    );
  }
}

async function waitHealthy(spec: ProcessSpec, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${spec.port}` }));
  for (;;) {
    try {
      if (spec.name === "edge") {
        if ((await fetch(`http://127.0.0.1:${spec.port}/healthz`)).ok) return;
      } else if (
        (await health.check({}, { timeoutMs: 1000 })).status === HealthCheckResponse_ServingStatus.SERVING
      ) {
        return;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${spec.name} did not become healthy on port ${spec.port}`);
    await delay(250);
  }
}

try {
  const specs = localProcesses(config);
  await assertPortsFree(specs);
  for (const ensure of [
    () => ensurePostgres(infraUrls.postgresAdminUrl, config.SHOP_DATA_DIR),
    () => ensureNats(infraUrls.natsUrl, config.SHOP_DATA_DIR),
    () => ensureRedis(infraUrls.redisUrl),
  ]) {
    const started = await ensure();
    if (started) infra.push(started);
  }
  await ensureDatabases(
    infraUrls.postgresAdminUrl,
    specs.flatMap((s) => (s.database ? [s.database] : [])),
  );
  for (const [index, spec] of specs.entries()) {
    running.push(
      startProcess(spec, index, (code) => {
        if (!stopping) {
          console.error(`${spec.name} exited unexpectedly (code ${code}); stopping the system`);
          void stopAll(1);
        }
      }),
    );
    await waitHealthy(spec);
  }
  await seedDemoData({ admin, specs });
  const edge = specs.find((s) => s.name === "edge");
  const product = specs.find((s) => s.name === "product");
  console.log(`
Shop mesh is up.
  REST edge:      ${edge ? `http://127.0.0.1:${edge.port}  (API docs: /docs, OpenAPI: /openapi.json)` : "(edge not built yet)"}
  gRPC services:  ${specs
    .filter((s) => s.name !== "edge")
    .map((s) => `${s.name} :${s.port}`)
    .join(", ")}
  Admin account:  ${admin.email} / ${admin.password}
  Try:            npx buf curl --protocol grpc --http2-prior-knowledge --list-services http://127.0.0.1:${product?.port ?? 8002}
Press Ctrl-C to stop.`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
}
