import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";
import { EchoService } from "../testing/echo-service.js";

const fixture = fileURLToPath(new URL("fixtures/drain-server.ts", import.meta.url));

test("SIGTERM under load: health flips to NOT_SERVING, in-flight calls complete, hooks run, exit 0", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, DRAIN_DELAY_MS: "400" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  });
  const deadline = Date.now() + 20_000;
  while (!lines.some((l) => l.includes('"port"'))) {
    assert.ok(Date.now() < deadline, "the server did not start");
    await delay(50);
  }
  const port = JSON.parse(lines.find((l) => l.includes('"port"')) as string).port as number;
  const baseUrl = `http://127.0.0.1:${port}`;
  const echo = createClient(EchoService, createGrpcTransport({ baseUrl }));
  const health = createClient(Health, createGrpcTransport({ baseUrl }));
  assert.equal((await health.check({})).status, HealthCheckResponse_ServingStatus.SERVING);

  const inflight = Array.from({ length: 40 }, (_, i) =>
    echo.read({ text: i % 2 === 0 ? "sleep:600" : "sleep:300" }),
  );
  await delay(100);
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await delay(100);
  assert.equal((await health.check({})).status, HealthCheckResponse_ServingStatus.NOT_SERVING);

  const results = await Promise.allSettled(inflight);
  const failures = results.filter((r) => r.status === "rejected");
  assert.equal(
    failures.length,
    0,
    `in-flight calls failed: ${failures.map((f) => String((f as PromiseRejectedResult).reason)).join("; ")}`,
  );
  const [code] = await exited;
  assert.equal(code, 0);
  assert.ok(
    lines.some((l) => l.includes("hooks-ran")),
    "shutdown hooks ran",
  );
});
