import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createContextValues } from "@connectrpc/connect";
import { context, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { ConfigError } from "../config.js";
import { activeTrace } from "./active-trace.js";
import { traceParentKey, traceUnaryCall } from "./client-span.js";
import { loadTracingConfig } from "./config.js";
import { startHttpServerSpan } from "./http-server-span.js";
import { headerSourceOf, traceHeadersOf, traceparentOf } from "./propagation.js";
import { createTestTracing, isChildOf } from "./testing.js";
import { createTracing, currentTracing, ensureTracing } from "./tracing.js";

describe("process tracing set-up", () => {
  afterEach(async () => {
    await currentTracing()?.shutdown();
  });

  it("keeps the active span across awaits, so work done later nests under it", async () => {
    const tt = createTestTracing();
    const tracer = trace.getTracer("t");
    await tracer.startActiveSpan("outer", async (outer) => {
      await delay(5);
      await Promise.all(
        [1, 2].map(async () => {
          await delay(1);
          tracer.startSpan("inner").end();
        }),
      );
      assert.equal(activeTrace()?.spanId, outer.spanContext().spanId);
      assert.equal(traceparentOf(), `00-${outer.spanContext().traceId}-${outer.spanContext().spanId}-01`);
      outer.end();
    });
    const spans = tt.spans();
    const outer = spans.find((s) => s.name === "outer");
    const inners = spans.filter((s) => s.name === "inner");
    assert.ok(outer);
    assert.equal(inners.length, 2);
    for (const inner of inners) assert.ok(isChildOf(inner, outer));
    assert.equal(activeTrace(), undefined, "nothing is active outside the span");
  });

  it('with activeContext "explicit", nothing follows awaits and a call is parented by the traceparent it is given', async () => {
    const exporter = new InMemorySpanExporter();
    createTracing({ serviceName: "edge", exporter, activeContext: "explicit" });
    const request = trace.getTracer("t").startSpan("GET /v1/products/{id}", { kind: SpanKind.SERVER });
    const requestContext = trace.setSpan(ROOT_CONTEXT, request);
    assert.equal(
      context.with(requestContext, () => context.active()),
      ROOT_CONTEXT,
      "no context manager: context.with does not make the span active",
    );
    const sent = await traceUnaryCall(
      ProductService.method.getProduct,
      "product",
      traceHeadersOf(requestContext),
      undefined,
      async (headers) => headers.get("traceparent"),
    );
    request.end();
    const client = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    const server = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    assert.ok(client && server);
    assert.ok(isChildOf(client, server));
    assert.equal(sent, `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
  });

  it('with activeContext "explicit", a call handed its parent under traceParentKey is its child and names its service', async () => {
    const exporter = new InMemorySpanExporter();
    createTracing({ serviceName: "edge", exporter, activeContext: "explicit" });
    const request = startHttpServerSpan({
      service: "edge",
      method: "GET",
      path: "/v1/products/p-1",
      headers: headerSourceOf({}),
    });
    await traceUnaryCall(
      ProductService.method.getProduct,
      "product",
      undefined,
      createContextValues().set(traceParentKey, request.context),
      async (headers) => headers.get("traceparent"),
    );
    request.end("/v1/products/{id}", 200);
    const client = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    const server = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    assert.ok(client && server);
    assert.ok(isChildOf(client, server));
    assert.equal(client.attributes["shop.service"], "edge");
  });

  it("without any exporter, an HTTP request's span continues the caller's trace unsampled, or starts one", () => {
    createTracing({ serviceName: "edge", activeContext: "explicit" });
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const continued = startHttpServerSpan({
      service: "edge",
      method: "GET",
      path: "/v1/products/p-1",
      headers: headerSourceOf({
        traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`,
        tracestate: "vendor=opaque",
      }),
    });
    assert.equal(continued.span.isRecording(), false);
    const ids = continued.span.spanContext();
    assert.equal(ids.traceId, callerTrace);
    assert.match(ids.spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(ids.spanId, "00f067aa0ba902b7");
    // The upstream call carries this span's ids, unsampled, and the caller's tracestate.
    const forwarded = traceHeadersOf(continued.context);
    assert.equal(forwarded.traceparent, `00-${callerTrace}-${ids.spanId}-00`);
    assert.equal(forwarded.tracestate, "vendor=opaque");
    continued.end("/v1/products/{id}", 200);

    const fresh = startHttpServerSpan({
      service: "edge",
      method: "GET",
      path: "/",
      headers: headerSourceOf({}),
    });
    assert.match(traceHeadersOf(fresh.context).traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.notEqual(fresh.span.spanContext().traceId, callerTrace);
  });

  it("has one provider per process: a second set-up throws, ensureTracing shares the first", () => {
    const first = createTestTracing("first");
    assert.throws(() => createTracing({ serviceName: "second" }), /already set up.*first/);
    assert.equal(ensureTracing("inventory", {}), first.tracing);
  });

  it("can be set up again after shutdown, and spans then reach the new provider", async () => {
    const first = createTestTracing("first");
    await first.shutdown();
    assert.equal(currentTracing(), undefined);
    const second = createTestTracing("second");
    trace.getTracer("t").startSpan("after").end();
    assert.deepEqual(
      second.spans().map((s) => s.name),
      ["after"],
    );
    assert.equal(second.spans()[0]?.resource.attributes["service.name"], "second");
  });

  it("without any exporter, records nothing but still makes real, propagatable ids", () => {
    const tracing = ensureTracing("lonely", {});
    const span = trace.getTracer("t").startSpan("unexported");
    assert.equal(span.isRecording(), false);
    const ctx = trace.setSpan(context.active(), span);
    // Real ids, flag 00: nobody records this trace, but logs and callees still join on its id.
    assert.match(traceparentOf(ctx) ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const child = trace.getTracer("t").startSpan("child", {}, ctx);
    assert.equal(child.spanContext().traceId, span.spanContext().traceId);
    assert.notEqual(child.spanContext().spanId, span.spanContext().spanId);
    child.end();
    span.end();
    assert.equal(tracing.serviceName, "lonely");
  });

  it("exports over OTLP/HTTP to <endpoint>/v1/traces, named by OTEL_SERVICE_NAME", async () => {
    const received: { url: string | undefined; type: string | undefined; bytes: number }[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        received.push({
          url: req.url,
          type: req.headers["content-type"],
          bytes: Buffer.concat(chunks).length,
        });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const config = loadTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
        OTEL_SERVICE_NAME: "order-eu",
      });
      const tracing = ensureTracing("order", config);
      assert.equal(tracing.serviceName, "order-eu");
      trace.getTracer("t").startSpan("shipped").end();
      await tracing.forceFlush();
      assert.equal(received.length, 1);
      assert.equal(received[0]?.url, "/v1/traces");
      assert.match(received[0]?.type ?? "", /json|protobuf/);
      assert.ok((received[0]?.bytes ?? 0) > 0);
    } finally {
      await currentTracing()?.shutdown();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it("rejects a malformed endpoint at start-up, naming the variable", () => {
    assert.throws(
      () => loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }),
      (error: unknown) => error instanceof ConfigError && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(error.message),
    );
    assert.deepEqual(loadTracingConfig({}), {});
  });
});
