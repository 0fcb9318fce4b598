import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { Health } from "@shop/gen/health/v1/health_pb";
import { createUpstream, type Upstream } from "../clients.js";
import { createLogger } from "../log.js";
import { traceHeaders } from "../request-context.js";
import { serviceImpl } from "../server/server.js";
import { type ServiceRuntime, startServiceRuntime } from "../service-runtime.js";
import { EchoService } from "../testing/echo-service.js";
import { createLogSink } from "../testing/log-sink.js";
import { createTestTracing, isChildOf, onlySpan, type TestTracing } from "./testing.js";

const callerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpanId = "00f067aa0ba902b7";
const callerTraceparent = `00-${callerTraceId}-${callerSpanId}-01`;

const readName = "shop.testing.v1.EchoService/Read";
const putName = "shop.testing.v1.EchoService/Put";

describe("RPC tracing: server spans, client spans and propagation across two real services", () => {
  let tt: TestTracing;
  let back: ServiceRuntime;
  let front: ServiceRuntime;
  let toBack: Upstream;
  const frontLog = createLogSink();

  before(async () => {
    tt = createTestTracing();
    const quiet = createLogger({ service: "back", level: "silent" });
    back = await startServiceRuntime({
      name: "back",
      port: 0,
      host: "127.0.0.1",
      logLevel: "silent",
      logger: quiet,
      processMetrics: false,
      services: [
        serviceImpl(EchoService, {
          // Answers with the traceparent it was called with, so the test sees what crossed the wire.
          read: (_request, ctx) => ({ text: ctx.requestHeader.get("traceparent") ?? "" }),
          put: () => {
            throw new ConnectError("no such thing", Code.NotFound);
          },
          write: () => {
            throw new Error("database exploded");
          },
        }),
      ],
    });
    toBack = createUpstream({ upstream: "back", baseUrl: `http://127.0.0.1:${back.port}`, logger: quiet });
    const backClient = toBack.client(EchoService);
    front = await startServiceRuntime({
      name: "front",
      port: 0,
      host: "127.0.0.1",
      logLevel: "info",
      logger: createLogger({ service: "front", level: "info", destination: frontLog.stream }),
      processMetrics: false,
      services: [
        serviceImpl(EchoService, {
          // No trace headers passed by hand: the platform client must find the active span itself.
          read: async (request) => backClient.read(request),
          put: async (request) => backClient.put(request),
          write: async (request) => backClient.write(request),
          // The legacy helper: what a handler forwarding by hand would send.
          watch: async function* (_request, ctx) {
            yield { text: traceHeaders(ctx.values).traceparent ?? "" };
          },
        }),
      ],
    });
  });

  after(async () => {
    toBack.close();
    await front.shutdown();
    await back.shutdown();
    await tt.shutdown();
  });

  beforeEach(() => tt.reset());

  const grpcClient = () =>
    createClient(EchoService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${front.port}` }));

  it("continues the caller's trace: front SERVER → CLIENT → back SERVER, with the CLIENT span's traceparent on the wire", async () => {
    const reply = await grpcClient().read({ text: "x" }, { headers: { traceparent: callerTraceparent } });
    await tt.tracing.forceFlush();

    const spans = tt.traceSpans(callerTraceId);
    const frontServer = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes["shop.service"] === "front",
    );
    const backServer = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes["shop.service"] === "back",
    );
    const client = onlySpan(spans, SpanKind.CLIENT, readName);
    assert.ok(frontServer && backServer, "both services made a SERVER span in the caller's trace");
    assert.equal(frontServer.parentSpanContext?.spanId, callerSpanId, "parented by the incoming traceparent");
    assert.ok(isChildOf(client, frontServer), "the outbound call is a child of the handler's span");
    assert.ok(isChildOf(backServer, client), "the callee's span is a child of the CLIENT span");
    assert.equal(reply.text, `00-${callerTraceId}-${client.spanContext().spanId}-01`);

    assert.equal(frontServer.name, readName);
    assert.deepEqual(
      {
        system: frontServer.attributes["rpc.system"],
        service: frontServer.attributes["rpc.service"],
        method: frontServer.attributes["rpc.method"],
        code: frontServer.attributes["rpc.grpc.status_code"],
      },
      { system: "grpc", service: "shop.testing.v1.EchoService", method: "Read", code: 0 },
    );
    assert.equal(client.attributes["peer.service"], "back");
    assert.equal(client.attributes["shop.service"], "front", "client spans name the calling service");
  });

  it("records nothing for a caller that does not sample, yet keeps its trace id on the wire", async () => {
    const unsampled = `00-${callerTraceId}-${callerSpanId}-00`;
    const reply = await grpcClient().read({ text: "x" }, { headers: { traceparent: unsampled } });
    await tt.tracing.forceFlush();

    assert.deepEqual(tt.traceSpans(callerTraceId), [], "no span of an unsampled trace is recorded");
    const frontLine = frontLog
      .records()
      .filter((r) => r.msg === "rpc finished" && r.trace_id === callerTraceId)
      .at(-1);
    assert.ok(frontLine, "the front logged the call");
    assert.notEqual(frontLine.span_id, callerSpanId);
    // No CLIENT span in between: the callee is handed the front's own (unrecorded) SERVER span.
    assert.equal(reply.text, `00-${callerTraceId}-${String(frontLine.span_id)}-00`);
  });

  it("logs the SERVER span's trace_id and span_id on the request line", async () => {
    await grpcClient().read({ text: "x" }, { headers: { traceparent: callerTraceparent } });
    const frontServer = tt
      .traceSpans(callerTraceId)
      .find((s) => s.kind === SpanKind.SERVER && s.attributes["shop.service"] === "front");
    const line = frontLog
      .records()
      .filter((r) => r.msg === "rpc finished" && r.trace_id === callerTraceId)
      .at(-1);
    assert.ok(frontServer && line, "a span and a log line for the call");
    assert.equal(line.span_id, frontServer.spanContext().spanId);
  });

  it("starts a new trace when the caller sends none, and the request log agrees with the span", async () => {
    await grpcClient().read({ text: "x" });
    const frontServer = tt
      .spans()
      .find((s) => s.kind === SpanKind.SERVER && s.attributes["shop.service"] === "front");
    assert.ok(frontServer);
    assert.equal(frontServer.parentSpanContext, undefined, "a root span");
    const traceId = frontServer.spanContext().traceId;
    assert.notEqual(traceId, callerTraceId);
    assert.ok(frontLog.records().some((r) => r.msg === "rpc finished" && r.trace_id === traceId));
    assert.equal(
      tt.traceSpans(traceId).length,
      3,
      "front SERVER, CLIENT and back SERVER share the new trace",
    );
  });

  it("traces the Connect protocol (the server's fallback path) the same way", async () => {
    const connect = createClient(
      EchoService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${front.port}`, httpVersion: "2" }),
    );
    await connect.read({ text: "x" }, { headers: { traceparent: callerTraceparent } });
    const frontServer = tt
      .traceSpans(callerTraceId)
      .find((s) => s.kind === SpanKind.SERVER && s.attributes["shop.service"] === "front");
    assert.equal(frontServer?.parentSpanContext?.spanId, callerSpanId);
  });

  it("ends a SERVER span in error only for server faults; a CLIENT span fails on any non-OK code", async () => {
    await assert.rejects(
      grpcClient().put({ text: "x" }),
      (e: unknown) => ConnectError.from(e).code === Code.NotFound,
    );
    const spans = tt.spans();
    const putServers = spans.filter((s) => s.kind === SpanKind.SERVER && s.name === putName);
    assert.equal(putServers.length, 2);
    for (const server of putServers) {
      assert.equal(server.attributes["rpc.grpc.status_code"], Code.NotFound);
      assert.notEqual(
        server.status.code,
        SpanStatusCode.ERROR,
        "NotFound is a correct answer, not a server error",
      );
    }
    assert.equal(onlySpan(spans, SpanKind.CLIENT, putName).status.code, SpanStatusCode.ERROR);

    tt.reset();
    await assert.rejects(
      grpcClient().write({ text: "x" }),
      (e: unknown) => ConnectError.from(e).code === Code.Internal,
    );
    const backWrite = tt
      .spans()
      .find((s) => s.kind === SpanKind.SERVER && s.attributes["shop.service"] === "back");
    assert.equal(backWrite?.status.code, SpanStatusCode.ERROR);
    assert.equal(backWrite?.attributes["rpc.grpc.status_code"], Code.Internal);
  });

  it("keeps traceHeaders(ctx.values) working: it names the SERVER span of the call", async () => {
    const stream = grpcClient().watch({ text: "x" }, { headers: { traceparent: callerTraceparent } });
    let forwarded = "";
    for await (const message of stream) forwarded = message.text;
    const frontServer = tt
      .traceSpans(callerTraceId)
      .find((s) => s.kind === SpanKind.SERVER && s.name === "shop.testing.v1.EchoService/Watch");
    assert.ok(frontServer, "the stream's span ended with the stream");
    assert.equal(forwarded, `00-${callerTraceId}-${frontServer.spanContext().spanId}-01`);
  });

  it("does not trace health checks", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${front.port}` }));
    await health.check({ service: "" });
    assert.equal(tt.spans().length, 0);
  });
});
