import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { ServerReflection } from "@shop/gen/grpc/reflection/v1/reflection_pb";
import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";
import { EchoRequestSchema, EchoService } from "../testing/echo-service.js";
import { startQuietGrpcServer } from "../testing/quiet-grpc-server.js";
import { type GrpcServer, type GrpcServerOptions, serviceImpl } from "./server.js";

const readMaxBytes = 1024;

/**
 * Echo that can be told to be slow ("sleep:<ms>"), to fail unexpectedly ("crash"), to report the
 * deadline it was given ("timeout": the ms left, or "none"), or to run until its call is aborted
 * ("until-aborted").
 */
const echo = serviceImpl(EchoService, {
  async read(request, context) {
    if (request.text === "crash") throw new Error("database password=hunter2 leaked in a driver error");
    if (request.text === "timeout") return { text: String(context.timeoutMs() ?? "none") };
    if (request.text === "until-aborted") {
      await new Promise((_, reject) => {
        context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
      });
    }
    const sleep = /^sleep:(\d+)$/.exec(request.text);
    if (sleep) await delay(Number(sleep[1]), undefined, { signal: context.signal }).catch(() => undefined);
    return { text: request.text };
  },
  async *watch(request, context) {
    if (request.text === "timeout") {
      yield { text: String(context.timeoutMs() ?? "none") };
      return;
    }
    for (let i = 0; i < 3; i++) yield { text: `${request.text}#${i}` };
  },
});

interface RawResponse {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One gRPC request over a raw HTTP/2 stream, so tests control every byte and header. */
function rawGrpcCall(port: number, path: string, body: Buffer, headers: Record<string, string> = {}) {
  return new Promise<RawResponse>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => {
      responseHeaders = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({
        status: Number(responseHeaders[":status"]),
        headers: responseHeaders,
        trailers,
        body: Buffer.concat(chunks),
      });
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

function envelope(payload: Uint8Array): Buffer {
  const framed = Buffer.alloc(5 + payload.byteLength);
  framed.writeUInt32BE(payload.byteLength, 1);
  framed.set(payload, 5);
  return framed;
}

function grpcStatusOf(response: RawResponse): number {
  return Number(response.trailers["grpc-status"] ?? response.headers["grpc-status"]);
}

/** The platform server with the echo service, for the describes that differ only in a limit. */
function startEchoServer(
  options: Pick<GrpcServerOptions, "readMaxBytes" | "maxTimeoutMs">,
): Promise<GrpcServer> {
  return startQuietGrpcServer({ services: [echo], ...options });
}

describe("platform gRPC server", () => {
  let server: GrpcServer;
  let baseUrl: string;

  before(async () => {
    server = await startEchoServer({ readMaxBytes });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.shutdown());

  const grpc = () => createClient(EchoService, createGrpcTransport({ baseUrl }));

  test("serves a unary call over gRPC (fast path) and the same call over Connect and gRPC-Web on HTTP/1.1", async () => {
    assert.equal((await grpc().read({ text: "hello" })).text, "hello");
    const connect = createClient(EchoService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    assert.equal((await connect.read({ text: "via connect" })).text, "via connect");
    const grpcWeb = createClient(EchoService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }));
    assert.equal((await grpcWeb.read({ text: "via grpc-web" })).text, "via grpc-web");
  });

  test("serves server-streaming calls through the Connect fallback", async () => {
    const texts: string[] = [];
    for await (const message of grpc().watch({ text: "tick" })) texts.push(message.text);
    assert.deepEqual(texts, ["tick#0", "tick#1", "tick#2"]);
  });

  test("a plain curl-style JSON POST over HTTP/1.1 works (Connect protocol)", async () => {
    const response = await fetch(`${baseUrl}/shop.testing.v1.EchoService/Read`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "json" }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { text: "json" });
  });

  test("health answers SERVING for the server and each service, NotFound for unknown ones, and lists all", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    assert.equal((await health.check({ service: "" })).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(
      (await health.check({ service: "shop.testing.v1.EchoService" })).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    await assert.rejects(
      health.check({ service: "nope.Service" }),
      (e: ConnectError) => e.code === Code.NotFound,
    );
    const list = await health.list({});
    assert.deepEqual(Object.keys(list.statuses).sort(), ["", "shop.testing.v1.EchoService"]);
  });

  test("reflection lists the services and returns the file that declares a symbol", async () => {
    const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl }));
    async function* ask() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
      yield {
        messageRequest: { case: "fileContainingSymbol" as const, value: "shop.testing.v1.EchoService" },
      };
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "no.such.Symbol" } };
    }
    const answers = [];
    for await (const answer of reflection.serverReflectionInfo(ask())) answers.push(answer.messageResponse);
    assert.equal(answers[0]?.case, "listServicesResponse");
    const names =
      answers[0]?.case === "listServicesResponse" ? answers[0].value.service.map((s) => s.name) : [];
    assert.deepEqual(names, [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "shop.testing.v1.EchoService",
    ]);
    assert.equal(answers[1]?.case, "fileDescriptorResponse");
    assert.equal(
      answers[1]?.case === "fileDescriptorResponse" && answers[1].value.fileDescriptorProto.length,
      1,
    );
    assert.equal(answers[2]?.case, "errorResponse");
    assert.equal(answers[2]?.case === "errorResponse" && answers[2].value.errorCode, Code.NotFound);
  });

  test("malformed protobuf bytes get INTERNAL and the server keeps serving", async () => {
    const response = await rawGrpcCall(
      server.port,
      "/shop.testing.v1.EchoService/Read",
      envelope(Buffer.from([0x0a, 0xff, 0x01])),
    );
    assert.equal(response.status, 200);
    assert.equal(grpcStatusOf(response), Code.Internal);
    assert.match(decodeURIComponent(String(response.headers["grpc-message"])), /parse binary/);
    assert.equal((await grpc().read({ text: "still here" })).text, "still here");
  });

  test("a truncated envelope gets INTERNAL", async () => {
    const truncated = envelope(new Uint8Array(10)).subarray(0, 8);
    const response = await rawGrpcCall(server.port, "/shop.testing.v1.EchoService/Read", truncated);
    assert.equal(grpcStatusOf(response), Code.Internal);
  });

  test("an unknown method gets UNIMPLEMENTED and the server keeps serving", async () => {
    const response = await rawGrpcCall(
      server.port,
      "/shop.testing.v1.EchoService/Nope",
      envelope(new Uint8Array()),
    );
    assert.equal(grpcStatusOf(response), Code.Unimplemented);
    const unknownService = await rawGrpcCall(server.port, "/no.Such/Method", envelope(new Uint8Array()));
    assert.equal(grpcStatusOf(unknownService), Code.Unimplemented);
    assert.equal((await grpc().read({ text: "ok" })).text, "ok");
  });

  test("an oversize message gets RESOURCE_EXHAUSTED on every protocol and the server keeps serving", async () => {
    const big = "x".repeat(readMaxBytes * 4);
    const raw = await rawGrpcCall(
      server.port,
      "/shop.testing.v1.EchoService/Read",
      envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: big }))),
    );
    assert.equal(grpcStatusOf(raw), Code.ResourceExhausted);
    await assert.rejects(grpc().read({ text: big }), (e: ConnectError) => e.code === Code.ResourceExhausted);
    const connect = createClient(EchoService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    await assert.rejects(connect.read({ text: big }), (e: ConnectError) => e.code === Code.ResourceExhausted);
    assert.equal((await grpc().read({ text: "ok" })).text, "ok");
  });

  test("an expired deadline gets DEADLINE_EXCEEDED, and the handler's signal is aborted", async () => {
    const started = Date.now();
    const raw = await rawGrpcCall(
      server.port,
      "/shop.testing.v1.EchoService/Read",
      envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "sleep:5000" }))),
      { "grpc-timeout": "50m" },
    );
    assert.equal(grpcStatusOf(raw), Code.DeadlineExceeded);
    assert.ok(Date.now() - started < 4000, "the server answered at the deadline, not after the handler");
    const zero = await rawGrpcCall(
      server.port,
      "/shop.testing.v1.EchoService/Read",
      envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "x" }))),
      { "grpc-timeout": "0m" },
    );
    assert.equal(grpcStatusOf(zero), Code.DeadlineExceeded);
    const bad = await rawGrpcCall(
      server.port,
      "/shop.testing.v1.EchoService/Read",
      envelope(new Uint8Array()),
      {
        "grpc-timeout": "soon",
      },
    );
    assert.equal(grpcStatusOf(bad), Code.InvalidArgument);
    assert.equal((await grpc().read({ text: "ok" })).text, "ok");
  });

  test("a deadline longer than the server's cap (5 minutes by default) is accepted over gRPC, fast path and streams", async () => {
    for (const grpcTimeout of ["301S", "10M", "1H"]) {
      const raw = await rawGrpcCall(
        server.port,
        "/shop.testing.v1.EchoService/Read",
        envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "timeout" }))),
        { "grpc-timeout": grpcTimeout },
      );
      assert.equal(grpcStatusOf(raw), 0, `grpc-timeout: ${grpcTimeout}`);
    }
    const tenMinutes = 10 * 60_000;
    const left = Number((await grpc().read({ text: "timeout" }, { timeoutMs: tenMinutes })).text);
    assert.ok(left > 0 && left <= 5 * 60_000, `the handler's deadline is the cap, got ${left} ms`);
    const streamed: string[] = [];
    for await (const message of grpc().watch({ text: "timeout" }, { timeoutMs: tenMinutes })) {
      streamed.push(message.text);
    }
    assert.ok(Number(streamed[0]) > 0 && Number(streamed[0]) <= 5 * 60_000, `stream saw ${streamed[0]} ms`);
  });

  test("a deadline longer than the cap is accepted over Connect and gRPC-Web; a malformed one is still INVALID_ARGUMENT", async () => {
    const response = await fetch(`${baseUrl}/shop.testing.v1.EchoService/Read`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-timeout-ms": "600000" },
      body: JSON.stringify({ text: "timeout" }),
    });
    assert.equal(response.status, 200);
    const left = Number(((await response.json()) as { text: string }).text);
    assert.ok(left > 0 && left <= 5 * 60_000, `the handler's deadline is the cap, got ${left} ms`);
    for (const httpVersion of ["1.1", "2"] as const) {
      const connect = createClient(EchoService, createConnectTransport({ baseUrl, httpVersion }));
      assert.equal((await connect.read({ text: "long" }, { timeoutMs: 600_000 })).text, "long");
      const grpcWeb = createClient(EchoService, createGrpcWebTransport({ baseUrl, httpVersion }));
      assert.equal((await grpcWeb.read({ text: "long" }, { timeoutMs: 600_000 })).text, "long");
    }
    const malformed = await fetch(`${baseUrl}/shop.testing.v1.EchoService/Read`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-timeout-ms": "soon" },
      body: JSON.stringify({ text: "x" }),
    });
    assert.equal(((await malformed.json()) as { code: string }).code, "invalid_argument");
  });

  test("an unexpected handler error reaches the caller as a generic INTERNAL without the cause", async () => {
    await assert.rejects(grpc().read({ text: "crash" }), (e: ConnectError) => {
      assert.equal(e.code, Code.Internal);
      assert.doesNotMatch(e.rawMessage, /hunter2|password/);
      return true;
    });
  });
});

describe("platform gRPC server with a small deadline cap", () => {
  /**
   * Small enough that calls end quickly, large enough that a loaded 2-core machine still reaches
   * the handler within it on a transport's first call (200 ms was not).
   */
  const maxTimeoutMs = 1500;
  let server: GrpcServer;
  let baseUrl: string;

  before(async () => {
    server = await startEchoServer({ maxTimeoutMs });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.shutdown());

  const oneHour = 60 * 60_000;
  const transports = {
    "gRPC (fast path)": () => createGrpcTransport({ baseUrl }),
    "Connect over HTTP/1.1": () => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    "Connect over HTTP/2": () => createConnectTransport({ baseUrl, httpVersion: "2" }),
    "gRPC-Web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  };

  for (const [name, transport] of Object.entries(transports)) {
    test(`a call with a 1-hour deadline runs with the cap as its deadline: ${name}`, async () => {
      const client = createClient(EchoService, transport());
      const left = Number((await client.read({ text: "timeout" }, { timeoutMs: oneHour })).text);
      assert.ok(left > 0 && left <= maxTimeoutMs, `the handler saw ${left} ms left`);
      const started = Date.now();
      await assert.rejects(
        client.read({ text: "until-aborted" }, { timeoutMs: oneHour }),
        (e: ConnectError) => e.code === Code.DeadlineExceeded,
      );
      const elapsed = Date.now() - started;
      // Generous upper bound: what matters is that the call ended near the cap, not in an hour.
      assert.ok(elapsed >= maxTimeoutMs - 50 && elapsed < maxTimeoutMs + 10_000, `ended after ${elapsed} ms`);
    });
  }

  test("a streaming gRPC call with a 1-hour deadline runs with the cap as its deadline", async () => {
    const client = createClient(EchoService, createGrpcTransport({ baseUrl }));
    const texts: string[] = [];
    for await (const message of client.watch({ text: "timeout" }, { timeoutMs: oneHour })) {
      texts.push(message.text);
    }
    assert.ok(
      Number(texts[0]) > 0 && Number(texts[0]) <= maxTimeoutMs,
      `the handler saw ${texts[0]} ms left`,
    );
  });
});
