import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@shop/gen/health/v1/health_pb";
import { createLogger } from "./log.js";
import { requestLoggerKey, requestTraceKey, traceHeaders } from "./request-context.js";
import { createRequestLogInterceptor } from "./request-log.js";
import { createLogSink, pluck } from "./testing/log-sink.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const validTraceparent = `00-${traceId}-00f067aa0ba902b7-01`;

function unaryRequest(headers: Record<string, string> = {}): UnaryRequest {
  return {
    stream: false,
    service: Health,
    method: Health.method.check,
    requestMethod: "POST",
    url: "http://localhost/grpc.health.v1.Health/Check",
    signal: new AbortController().signal,
    header: new Headers(headers),
    contextValues: createContextValues(),
    message: create(HealthCheckRequestSchema, { service: "password=hunter2" }),
  } as UnaryRequest;
}

function okResponse(req: UnaryRequest): UnaryResponse {
  return {
    stream: false,
    service: req.service,
    method: req.method,
    header: new Headers(),
    trailer: new Headers(),
    message: create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
  } as UnaryResponse;
}

function setup() {
  const sink = createLogSink();
  const logger = createLogger({ service: "test", level: "debug", destination: sink.stream });
  return { sink, interceptor: createRequestLogInterceptor(logger, { quietServices: [] }) };
}

describe("createRequestLogInterceptor", () => {
  it("logs one line with trace id from traceparent, procedure, code ok and duration", async () => {
    const { sink, interceptor } = setup();
    const req = unaryRequest({ traceparent: validTraceparent });
    const res = await interceptor(async (r) => {
      r.contextValues.get(requestLoggerKey).debug("inside the handler");
      return okResponse(r as UnaryRequest);
    })(req);
    assert.equal(res.stream, false);
    const records = sink.records();
    assert.equal(records.length, 2);
    const [inner, done] = records;
    assert.equal(inner?.trace_id, traceId, "handlers log with the request's trace id");
    assert.equal(done?.trace_id, traceId);
    assert.equal(done?.procedure, "/grpc.health.v1.Health/Check");
    assert.equal(done?.code, "ok");
    assert.equal(done?.level, "info");
    assert.equal(typeof done?.duration_ms, "number");
    assert.doesNotMatch(sink.lines.join("\n"), /hunter2/, "the request message is never logged");
  });

  it("replaces a missing or malformed traceparent with a fresh trace id and exposes it for forwarding", async () => {
    const { sink, interceptor } = setup();
    const req = unaryRequest({ traceparent: "00-not-a-trace-01" });
    await interceptor(async (r) => okResponse(r as UnaryRequest))(req);
    const [done] = sink.records();
    assert.match(String(done?.trace_id), /^[0-9a-f]{32}$/);
    const trace = req.contextValues.get(requestTraceKey);
    assert.equal(trace?.traceId, done?.trace_id);
    const forwarded = traceHeaders(req.contextValues).traceparent;
    assert.match(String(forwarded), new RegExp(`^00-${trace?.traceId}-[0-9a-f]{16}-00$`));
  });

  it("logs server faults at error with the cause and rethrows", async () => {
    const { sink, interceptor } = setup();
    const failing = interceptor(async () => {
      throw new Error("connection to db lost");
    });
    await assert.rejects(failing(unaryRequest()), /connection to db lost/);
    const [done] = sink.records();
    assert.equal(done?.level, "error");
    assert.equal(done?.code, "unknown");
    assert.equal(pluck(done, "err.message"), "connection to db lost");
    assert.match(String(pluck(done, "err.stack")), /connection to db lost/);
  });

  it("logs the cause of an Internal ConnectError", async () => {
    const { sink, interceptor } = setup();
    const cause = new Error("unique constraint violated");
    const failing = interceptor(async () => {
      throw new ConnectError("internal error", Code.Internal, undefined, undefined, cause);
    });
    await assert.rejects(failing(unaryRequest()), ConnectError);
    const [done] = sink.records();
    assert.equal(done?.level, "error");
    assert.equal(done?.code, "internal");
    assert.equal(pluck(done, "err.message"), "unique constraint violated");
  });

  it("logs client faults at info and overload at warn", async () => {
    const { sink, interceptor } = setup();
    await assert.rejects(
      interceptor(async () => {
        throw new ConnectError("product p1 not found", Code.NotFound);
      })(unaryRequest()),
    );
    await assert.rejects(
      interceptor(async () => {
        throw new ConnectError("inventory down", Code.Unavailable);
      })(unaryRequest()),
    );
    const [notFound, unavailable] = sink.records();
    assert.equal(notFound?.level, "info");
    assert.equal(notFound?.code, "not_found");
    assert.equal(notFound?.error_message, "product p1 not found");
    assert.equal(unavailable?.level, "warn");
    assert.equal(unavailable?.code, "unavailable");
  });

  it("logs successful health checks at debug so probes do not drown the log", async () => {
    const sink = createLogSink();
    const logger = createLogger({ service: "test", level: "debug", destination: sink.stream });
    const interceptor = createRequestLogInterceptor(logger);
    await interceptor(async (r) => okResponse(r as UnaryRequest))(unaryRequest());
    await assert.rejects(
      interceptor(async () => {
        throw new ConnectError("unknown service", Code.NotFound);
      })(unaryRequest()),
    );
    const [ok, notFound] = sink.records();
    assert.equal(ok?.level, "debug");
    assert.equal(notFound?.level, "info", "only successes are quietened");
  });

  it("logs a streaming call when its response stream ends, not when it starts", async () => {
    const { sink, interceptor } = setup();
    const req = { ...unaryRequest(), stream: true, method: Health.method.watch } as unknown as StreamRequest;
    const res = (await interceptor(async () => {
      async function* messages() {
        yield create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
        throw new ConnectError("watch broke", Code.Unavailable);
      }
      return { ...req, header: new Headers(), trailer: new Headers(), message: messages() } as StreamResponse;
    })(req)) as StreamResponse;
    assert.equal(sink.records().length, 0, "nothing is logged before the stream is consumed");
    const received: unknown[] = [];
    await assert.rejects(async () => {
      for await (const message of res.message) received.push(message);
    }, /watch broke/);
    assert.equal(received.length, 1);
    const [done] = sink.records();
    assert.equal(done?.procedure, "/grpc.health.v1.Health/Watch");
    assert.equal(done?.code, "unavailable");
  });
});
