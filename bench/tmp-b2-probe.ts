// Temporary: starts product + edge as B2 does, runs open-loop load on the edge, snapshots the edge's heap under load.
import { execFileSync } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { createPostgres } from "@shop/platform/postgres";
import { createTestDatabase } from "@shop/platform/testing";
import pino from "pino";
import { seedDemoCatalog } from "../services/product/src/seed.js";
import { createDrizzleProductStore } from "../services/product/src/store.js";
import { measureOpenLoopLatency } from "./open-loop-latency.js";
import { spawnServer } from "./spawn-server.js";

const database = await createTestDatabase({ prefix: "bench_probe" });
const product = await spawnServer(
  "services/product/src/main.ts",
  { PORT: "19300", DATABASE_URL: database.url, LOG_LEVEL: "info" },
  0,
  60_000,
  "serving",
);
const pg = createPostgres({ url: database.url, logger: pino({ level: "silent" }), max: 1 });
await seedDemoCatalog(createDrizzleProductStore(pg.db));
await pg.close();
const { products } = await createClient(
  ProductService,
  createGrpcTransport({ baseUrl: "http://127.0.0.1:19300" }),
).listProducts({ pageSize: 1 });
const edge = await spawnServer(
  "edge/src/main.ts",
  {
    EDGE_PORT: "19301",
    PRODUCT_URL: "http://127.0.0.1:19300",
    RATE_LIMIT_CAPACITY: "100000000",
    RATE_LIMIT_REFILL_PER_SECOND: "100000000",
    RATE_LIMIT_KEY_PREFIX: `probe:${process.pid}:`,
    LOG_LEVEL: process.env.EDGE_LOG ?? "info",
  },
  0,
  60_000,
  "listening",
);
execFileSync("taskset", ["-a", "-p", "-c", "0-1", String(product.process.pid)]);
execFileSync("taskset", ["-a", "-p", "-c", "0-1", String(edge.process.pid)]);
const url = `http://127.0.0.1:19301/v1/products/${products[0]?.id}`;
for (let i = 0; i < Number(process.env.ROUNDS ?? 2); i++) {
  if (process.env.SNAP && i === 1) {
    setTimeout(() => process.kill(edge.process.pid as number, "SIGUSR2"), 2000);
    setTimeout(() => process.kill(edge.process.pid as number, "SIGUSR2"), 8000);
  }
  const r = await measureOpenLoopLatency({ url, protocol: "http1", rate: 557, seconds: 10, cpus: "0-1" });
  console.log(`edge round ${i}: p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} failures ${r.failures}`);
}
await edge.stop();
await product.stop();
await database.drop();
