import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { Health, HealthCheckRequestSchema, HealthCheckResponseSchema } from "@shop/gen/health/v1/health_pb";
import { createLogger } from "./log.js";
import { createMetrics } from "./metrics.js";
import { type MetricsServer, startMetricsServer } from "./metrics-server.js";

function fakeCheck(): UnaryRequest {
  return {
    stream: false,
    service: Health,
    method: Health.method.check,
    requestMethod: "POST",
    url: "http://localhost/grpc.health.v1.Health/Check",
    signal: new AbortController().signal,
    header: new Headers(),
    contextValues: createContextValues(),
    message: create(HealthCheckRequestSchema),
  } as UnaryRequest;
}

const ok = async (req: UnaryRequest | unknown) =>
  ({
    stream: false,
    service: Health,
    method: (req as UnaryRequest).method,
    header: new Headers(),
    trailer: new Headers(),
    message: create(HealthCheckResponseSchema),
  }) as UnaryResponse;

describe("metrics", () => {
  const metrics = createMetrics({ service: "product" });
  let server: MetricsServer;
  let base: string;

  before(async () => {
    const logger = createLogger({ service: "product", level: "silent" });
    server = await startMetricsServer({ port: 0, host: "127.0.0.1", metrics, logger });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  it("exposes RED metrics for served and made calls, and the breaker state, over HTTP", async () => {
    const served = metrics.rpcInterceptor(ok);
    await served(fakeCheck());
    await served(fakeCheck());
    const notFound = metrics.rpcInterceptor(async () => {
      throw new ConnectError("no such service", Code.NotFound);
    });
    await assert.rejects(notFound(fakeCheck()));
    const upstream = metrics.clientInterceptor("inventory")(async () => {
      throw new ConnectError("down", Code.Unavailable);
    });
    await assert.rejects(upstream(fakeCheck()));
    metrics.breakerState("inventory", "open");

    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get("content-type")), /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const method = 'method="/grpc.health.v1.Health/Check"';
    assert.match(text, series("rpc_server_requests_total", [method, 'code="ok"', 'service="product"'], 2));
    assert.match(text, series("rpc_server_requests_total", [method, 'code="not_found"'], 1));
    assert.match(text, series("rpc_server_duration_seconds_count", [method], 3));
    assert.match(text, series("rpc_server_duration_seconds_bucket", ['le="0.0005"', method]));
    assert.match(
      text,
      series("rpc_client_requests_total", ['upstream="inventory"', 'code="unavailable"'], 1),
    );
    assert.match(text, series("rpc_client_duration_seconds_count", ['upstream="inventory"'], 1));
    assert.match(text, series("circuit_breaker_state", ['upstream="inventory"'], 2));
    assert.match(text, /^process_cpu_user_seconds_total\{service="product"\} /m, "default process metrics");
  });

  it("answers 404 for anything but /metrics", async () => {
    const res = await fetch(`${base}/other`);
    assert.equal(res.status, 404);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    assert.equal(post.status, 404);
  });
});

/** A regex for one exposition line having all `labels` (any order) and, if given, the value. */
function series(name: string, labels: string[], value?: number): RegExp {
  const lookaheads = labels.map((label) => `(?=[^}]*${escapeRegExp(label)})`).join("");
  const tail = value === undefined ? " " : ` ${value}$`;
  return new RegExp(`^${name}\\{${lookaheads}[^}]*\\}${tail}`, "m");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
