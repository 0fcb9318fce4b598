import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { createFastGrpcTransport } from "./fast-grpc-transport.js";
import { type GrpcServer, serviceImpl, startGrpcServer } from "./server/server.js";
import { EchoService } from "./testing/echo-service.js";
import { freePort } from "./testing/ports.js";

describe("fast gRPC transport", () => {
  let server: GrpcServer;
  let baseUrl: string;

  before(async () => {
    server = await startGrpcServer({
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      services: [
        serviceImpl(EchoService, {
          async read(request, context) {
            if (request.text === "missing") throw new ConnectError("no such thing: 100% gone", Code.NotFound);
            if (request.text === "slow") await delay(2000);
            context.responseHeader.set("x-echo", "header");
            context.responseTrailer.set("x-echo-trailer", "trailer");
            return { text: `${request.text}|${context.requestHeader.get("x-caller") ?? ""}` };
          },
          async *watch(request) {
            yield { text: `${request.text}#0` };
            yield { text: `${request.text}#1` };
          },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.shutdown());

  const transportFor = (url: string, interceptors: Interceptor[] = []) =>
    createFastGrpcTransport({ baseUrl: url, interceptors, streams: createGrpcTransport({ baseUrl: url }) });

  test("round-trips a unary call with request headers, response headers and trailers", async () => {
    const transport = transportFor(baseUrl);
    const client = createClient(EchoService, transport);
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const reply = await client.read(
      { text: "hi" },
      { headers: { "x-caller": "test" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    assert.equal(reply.text, "hi|test");
    assert.equal(header?.get("x-echo"), "header");
    assert.equal(trailer?.get("x-echo-trailer"), "trailer");
    transport.close();
  });

  test("reports the server's error code and message", async () => {
    const client = createClient(EchoService, transportFor(baseUrl));
    await assert.rejects(client.read({ text: "missing" }), (error: ConnectError) => {
      assert.equal(error.code, Code.NotFound);
      assert.equal(error.rawMessage, "no such thing: 100% gone");
      return true;
    });
  });

  test("enforces the deadline and sends it to the server", async () => {
    const client = createClient(EchoService, transportFor(baseUrl));
    const started = Date.now();
    await assert.rejects(
      client.read({ text: "slow" }, { timeoutMs: 100 }),
      (e: ConnectError) => e.code === Code.DeadlineExceeded,
    );
    assert.ok(Date.now() - started < 1500);
  });

  test("an unreachable upstream is UNAVAILABLE", async () => {
    const client = createClient(EchoService, transportFor(`http://127.0.0.1:${await freePort()}`));
    await assert.rejects(
      client.read({ text: "x" }, { timeoutMs: 2000 }),
      (e: ConnectError) => e.code === Code.Unavailable,
    );
  });

  test("runs interceptors around the call and delegates streams", async () => {
    const seen: string[] = [];
    const interceptor: Interceptor = (next) => async (request) => {
      seen.push(`${request.method.name}:${request.header.get("x-caller")}`);
      request.header.set("x-caller", "intercepted");
      return next(request);
    };
    const client = createClient(EchoService, transportFor(baseUrl, [interceptor]));
    assert.equal(
      (await client.read({ text: "a" }, { headers: { "x-caller": "orig" } })).text,
      "a|intercepted",
    );
    assert.deepEqual(seen, ["Read:orig"]);
    const streamed: string[] = [];
    for await (const message of client.watch({ text: "s" })) streamed.push(message.text);
    assert.deepEqual(streamed, ["s#0", "s#1"]);
  });

  test("a cancelled call is CANCELED", async () => {
    const client = createClient(EchoService, transportFor(baseUrl));
    const controller = new AbortController();
    const call = client.read({ text: "slow" }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, (e: ConnectError) => e.code === Code.Canceled);
  });
});
