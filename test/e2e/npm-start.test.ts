/**
 * `npm start` end to end: the orchestrator as a user runs it (`node --import tsx scripts/start.ts`),
 * every service and the edge as child processes, on shifted ports (SHOP_PORT_OFFSET), databases of
 * its own (SHOP_DB_PREFIX), its own Redis keys and a private JetStream (a NATS URL where nothing
 * listens, so the orchestrator starts `nats-server -js` itself) — then a short REST smoke, Ctrl-C, and
 * proof that nothing is left running.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createTestRedisPrefix, freePortOffset, uniqueName } from "@shop/platform/testing";
import postgres from "postgres";
import { isListening } from "../../scripts/start/infra.js";
import { demoStock } from "../../scripts/start/seed.js";
import { defaultPorts } from "../../scripts/start/services.js";
import { demoCatalog } from "../../services/product/src/seed.js";
import { createRestClient, type RestClient } from "../support/rest-client.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const adminDatabaseUrl = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const bannerTimeoutMs = 120_000;
const natsDefaultPort = 4222;

/** Resolves with the output so far once `text` appears; rejects if the process exits first. */
function waitForOutput(child: ChildProcess, output: () => string, text: string, timeoutMs: number) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`no "${text}" within ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const onData = () => {
      if (output().includes(text)) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`npm start exited (code ${code}) before "${text}":\n${output().slice(-4000)}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    onData();
  });
}

describe("npm start", { timeout: 240_000 }, () => {
  const dbPrefix = `${uniqueName("npmstart")}_`;
  const redis = createTestRedisPrefix({ prefix: "npmstart" });
  const dataDir = mkdtempSync(join(tmpdir(), "shop-npm-start-"));
  const admin = { email: `admin-${randomUUID()}@example.com`, password: `pw-${randomUUID()}` };
  let offset = 0;
  let natsPort = 0;
  let child: ChildProcess;
  let output = "";
  let api: RestClient;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  before(async () => {
    // NATS's port shifts with the rest, so it too lies below the ephemeral range and is checked free.
    offset = await freePortOffset([...Object.values(defaultPorts), natsDefaultPort]);
    natsPort = natsDefaultPort + offset;
    child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        SHOP_PORT_OFFSET: String(offset),
        SHOP_DB_PREFIX: dbPrefix,
        SHOP_REDIS_PREFIX: redis.prefix,
        SHOP_DATA_DIR: dataDir,
        // Nothing listens there: the orchestrator starts its own nats-server, a JetStream no one shares.
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        SHOP_ADMIN_EMAIL: admin.email,
        SHOP_ADMIN_PASSWORD: admin.password,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so cleanup can reach every descendant if the test fails half-way.
      detached: true,
    });
    exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    for (const stream of [child.stdout, child.stderr])
      stream?.on("data", (chunk: Buffer) => (output += chunk));
    await waitForOutput(child, () => output, "Shop mesh is up", bannerTimeoutMs);
    api = createRestClient(`http://127.0.0.1:${defaultPorts.edge + offset}`);
  });

  after(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      // The services run in process groups of their own: let `npm start` stop them, then make sure.
      child.kill("SIGTERM");
      await Promise.race([exited, delay(20_000)]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const sql = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`SELECT datname FROM pg_database WHERE starts_with(datname, ${dbPrefix})`;
      for (const { datname } of rows) await sql`DROP DATABASE IF EXISTS ${sql(datname)} WITH (FORCE)`;
    } finally {
      await sql.end({ timeout: 5 });
    }
    await redis.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints the shifted URLs in its banner", () => {
    assert.match(output, new RegExp(`REST edge: +http://127\\.0\\.0\\.1:${defaultPorts.edge + offset}\\b`));
    assert.match(output, new RegExp(`product :${defaultPorts.product + offset}\\b`));
    assert.ok(output.includes(admin.email), "the banner names the seeded admin");
  });

  it("serves the REST API: register, log in, and a seeded demo catalog with stock", async () => {
    const email = `shopper-${randomUUID()}@example.com`;
    const registered = await api("POST", "/v1/auth/register", {
      body: { email, password: "correct horse battery", name: "Smoke" },
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    const login = await api("POST", "/v1/auth/login", { body: { email, password: "correct horse battery" } });
    assert.equal(login.status, 200);
    const me = await api("GET", "/v1/users/me", { token: login.body.accessToken });
    assert.equal(me.body.user.id, registered.body.user.id);

    const adminLogin = await api("POST", "/v1/auth/login", { body: admin });
    assert.equal(adminLogin.status, 200);
    assert.ok(adminLogin.body.user.roles.includes("admin"));

    const list = await api("GET", "/v1/products?pageSize=100");
    assert.equal(list.status, 200);
    const names = list.body.products.map((p: { name: string }) => p.name).sort();
    assert.deepEqual(names, demoCatalog.map((p) => p.name).sort());
    for (const product of list.body.products) {
      const stock = await api("GET", `/v1/inventory/${product.id}`);
      assert.equal(stock.status, 200);
      assert.equal(stock.body.stock.available, demoStock, product.name);
    }

    const ready = await api("GET", "/readyz");
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
  });

  it("stops everything on Ctrl-C (SIGINT), exits 0, and frees every port", async () => {
    // As a terminal's Ctrl-C does: SIGINT to the whole process group of `npm start`. Every service
    // must still get exactly one signal and exit 0, or `npm start` exits 1 naming it.
    process.kill(-(child.pid as number), "SIGINT");
    const { code, signal } = await exited;
    assert.equal(signal, null, output.slice(-2000));
    assert.equal(code, 0, output.slice(-2000));
    assert.match(output, /stopping/);
    const stillListening = [];
    for (const [name, port] of Object.entries(defaultPorts)) {
      if (await isListening("127.0.0.1", port + offset)) stillListening.push(`${name}:${port + offset}`);
    }
    if (await isListening("127.0.0.1", natsPort)) stillListening.push(`nats-server:${natsPort}`);
    assert.deepEqual(stillListening, []);
  });
});
