import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { createUpstream, type Upstream, type UpstreamOptions } from "./clients.js";
import { createLogger } from "./log.js";
import { createMetrics } from "./metrics.js";
import { EchoResponseSchema, EchoService } from "./testing/echo-service.js";
import { startTestGrpcServer, type TestGrpcServer } from "./testing/grpc-server.js";

const logger = createLogger({ service: "test", level: "silent" });
const reply = (text: string) => create(EchoResponseSchema, { text });
const unavailable = () => new ConnectError("upstream restarting", Code.Unavailable);

/** What the test server saw: calls per method and the request headers of each call. */
function createRecorder() {
  const calls = { read: 0, put: 0, write: 0, watch: 0 };
  const headers: Headers[] = [];
  return { calls, headers };
}

const opened: Array<Upstream | TestGrpcServer> = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function serve(impl: Partial<ServiceImpl<typeof EchoService>>): Promise<TestGrpcServer> {
  const server = await startTestGrpcServer((router) => router.service(EchoService, impl));
  opened.push(server);
  return server;
}

function connect(server: TestGrpcServer, options: Partial<UpstreamOptions> = {}) {
  const upstream = createUpstream({
    upstream: "echo",
    baseUrl: server.baseUrl,
    logger,
    timeoutMs: 2000,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  opened.push(upstream);
  return { upstream, client: upstream.client(EchoService) };
}

describe("createUpstream: retries", () => {
  it("retries an idempotent (NO_SIDE_EFFECTS) call on Unavailable and marks the retries", async () => {
    const seen = createRecorder();
    const server = await serve({
      read(_req, ctx) {
        seen.calls.read++;
        seen.headers.push(ctx.requestHeader);
        if (seen.calls.read < 3) throw unavailable();
        return reply("third time lucky");
      },
    });
    const { client } = connect(server);
    const res = await client.read({ text: "x" });
    assert.equal(res.text, "third time lucky");
    assert.equal(seen.calls.read, 3);
    assert.equal(seen.headers[0]?.get("grpc-previous-rpc-attempts"), null);
    assert.equal(seen.headers[2]?.get("grpc-previous-rpc-attempts"), "2");
  });

  it("retries an IDEMPOTENT call on Unavailable", async () => {
    const seen = createRecorder();
    const server = await serve({
      put() {
        seen.calls.put++;
        if (seen.calls.put < 2) throw unavailable();
        return reply("stored");
      },
    });
    const { client } = connect(server);
    assert.equal((await client.put({ text: "x" })).text, "stored");
    assert.equal(seen.calls.put, 2);
  });

  it("with maxAttempts 1 (UPSTREAM_RETRY_ATTEMPTS=1, sidecar retries) sends an idempotent call once", async () => {
    const seen = createRecorder();
    const server = await serve({
      read(_req, ctx) {
        seen.calls.read++;
        seen.headers.push(ctx.requestHeader);
        if (seen.calls.read < 2) throw unavailable();
        return reply("would succeed on a retry");
      },
    });
    const { client } = connect(server, { retry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 20 } });
    await assert.rejects(client.read({ text: "x" }), (error: unknown) => {
      assert.equal(ConnectError.from(error).code, Code.Unavailable);
      return true;
    });
    assert.equal(seen.calls.read, 1);
    assert.equal(seen.headers[0]?.get("grpc-previous-rpc-attempts"), null);
  });

  it("never retries a method with side effects", async () => {
    const seen = createRecorder();
    const server = await serve({
      write() {
        seen.calls.write++;
        throw unavailable();
      },
    });
    const { client } = connect(server);
    await assert.rejects(client.write({ text: "charge" }), (error: unknown) => {
      assert.equal(ConnectError.from(error).code, Code.Unavailable);
      return true;
    });
    assert.equal(seen.calls.write, 1);
  });

  it("does not retry client faults", async () => {
    const seen = createRecorder();
    const server = await serve({
      read() {
        seen.calls.read++;
        throw new ConnectError("no such product", Code.NotFound);
      },
    });
    const { client } = connect(server);
    await assert.rejects(client.read({ text: "x" }), /no such product/);
    assert.equal(seen.calls.read, 1);
  });

  it("stops retrying at the deadline instead of sleeping past it", async () => {
    const seen = createRecorder();
    const server = await serve({
      read() {
        seen.calls.read++;
        throw unavailable();
      },
    });
    const { client } = connect(server, {
      timeoutMs: 300,
      retry: { maxAttempts: 1000, baseDelayMs: 20, maxDelayMs: 40 },
    });
    const started = Date.now();
    await assert.rejects(client.read({ text: "x" }), (error: unknown) => {
      const code = ConnectError.from(error).code;
      assert.ok(code === Code.Unavailable || code === Code.DeadlineExceeded, Code[code]);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 600, `gave up after ${elapsed} ms`);
    assert.ok(seen.calls.read > 1 && seen.calls.read < 1000, `${seen.calls.read} attempts`);
  });
});

describe("createUpstream: deadlines", () => {
  const slowRead: Partial<ServiceImpl<typeof EchoService>> = {
    async read(_req, ctx) {
      await sleep(5000, undefined, { signal: ctx.signal }).catch(() => undefined);
      return reply("too late");
    },
  };

  it("fails with DeadlineExceeded when the upstream is slower than the default deadline", async () => {
    const server = await serve(slowRead);
    const { client } = connect(server, { timeoutMs: 150 });
    const started = Date.now();
    await assert.rejects(client.read({ text: "x" }), (error: unknown) => {
      assert.equal(ConnectError.from(error).code, Code.DeadlineExceeded);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
  });

  it("lets one call override the default deadline", async () => {
    const server = await serve(slowRead);
    const { client } = connect(server, { timeoutMs: 10_000 });
    const started = Date.now();
    await assert.rejects(client.read({ text: "x" }, { timeoutMs: 100 }), (error: unknown) => {
      assert.equal(ConnectError.from(error).code, Code.DeadlineExceeded);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
  });

  it("sends the deadline to the server as grpc-timeout", async () => {
    const seen = createRecorder();
    const server = await serve({
      read(_req, ctx) {
        seen.headers.push(ctx.requestHeader);
        return reply("ok");
      },
    });
    const { client } = connect(server, { timeoutMs: 1500 });
    await client.read({ text: "x" });
    assert.match(String(seen.headers[0]?.get("grpc-timeout")), /^\d+m$/);
  });
});

describe("createUpstream: circuit breaker", () => {
  const breaker = { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeout: 200 };

  it("opens after repeated Unavailable, fails fast, reports state, then closes after a good trial", async () => {
    const seen = createRecorder();
    let healthy = false;
    const server = await serve({
      write() {
        seen.calls.write++;
        if (!healthy) throw unavailable();
        return reply("ok");
      },
    });
    const metrics = createMetrics({ service: "test", processMetrics: false });
    const { upstream, client } = connect(server, { breaker, metrics });

    for (let i = 0; i < 4; i++) await assert.rejects(client.write({ text: "x" }));
    assert.equal(upstream.breaker.state(), "open");
    assert.match(await metrics.render(), /^circuit_breaker_state\{[^}]*upstream="echo"[^}]*\} 2$/m);

    const before = seen.calls.write;
    const started = Date.now();
    await assert.rejects(client.write({ text: "x" }), (error: unknown) => {
      const connectError = ConnectError.from(error);
      assert.equal(connectError.code, Code.Unavailable);
      assert.match(connectError.rawMessage, /upstream "echo" is unavailable: its circuit breaker is open/);
      return true;
    });
    assert.equal(seen.calls.write, before, "an open breaker does not call the upstream");
    assert.ok(Date.now() - started < 50, "and fails fast");

    healthy = true;
    await sleep(250);
    assert.equal(upstream.breaker.state(), "half-open");
    assert.equal((await client.write({ text: "x" })).text, "ok");
    assert.equal(upstream.breaker.state(), "closed");
    assert.match(await metrics.render(), /^circuit_breaker_state\{[^}]*upstream="echo"[^}]*\} 0$/m);
  });

  it("wraps the whole retried call: one logical call counts once", async () => {
    const seen = createRecorder();
    const server = await serve({
      read() {
        seen.calls.read++;
        throw unavailable();
      },
    });
    const { upstream, client } = connect(server, { breaker });
    for (let i = 0; i < 3; i++) await assert.rejects(client.read({ text: "x" }));
    assert.equal(seen.calls.read, 9, "three calls of three attempts each");
    assert.equal(upstream.breaker.state(), "closed", "three failures are below the volume threshold of four");
  });

  it("does not open on client faults such as NotFound", async () => {
    const seen = createRecorder();
    const server = await serve({
      write() {
        seen.calls.write++;
        throw new ConnectError("no such order", Code.NotFound);
      },
    });
    const { upstream, client } = connect(server, { breaker });
    for (let i = 0; i < 20; i++) await assert.rejects(client.write({ text: "x" }), /no such order/);
    assert.equal(seen.calls.write, 20);
    assert.equal(upstream.breaker.state(), "closed");
  });

  it("fails server streams fast while open", async () => {
    const server = await serve({
      write() {
        throw unavailable();
      },
      async *watch() {
        yield reply("one");
      },
    });
    const { upstream, client } = connect(server, { breaker });
    const received: string[] = [];
    for await (const res of client.watch({ text: "x" })) received.push(res.text);
    assert.deepEqual(received, ["one"]);
    for (let i = 0; i < 4; i++) await assert.rejects(client.write({ text: "x" }));
    assert.equal(upstream.breaker.state(), "open");
    await assert.rejects(async () => {
      for await (const res of client.watch({ text: "x" })) received.push(res.text);
    }, /circuit breaker is open/);
  });
});

describe("createUpstream: headers and metrics", () => {
  it("forwards a caller's traceparent header and records each attempt", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const seen = createRecorder();
    const server = await serve({
      read(_req, ctx) {
        seen.calls.read++;
        if (seen.calls.read === 1) throw unavailable();
        return reply(ctx.requestHeader.get("traceparent") ?? "missing");
      },
    });
    const metrics = createMetrics({ service: "test", processMetrics: false });
    const { client } = connect(server, { metrics });
    const res = await client.read({ text: "x" }, { headers: { traceparent } });
    assert.equal(res.text, traceparent);
    const text = await metrics.render();
    assert.match(text, /^rpc_client_requests_total\{[^}]*upstream="echo"[^}]*code="unavailable"[^}]*\} 1$/m);
    assert.match(text, /^rpc_client_requests_total\{[^}]*upstream="echo"[^}]*code="ok"[^}]*\} 1$/m);
  });
});
