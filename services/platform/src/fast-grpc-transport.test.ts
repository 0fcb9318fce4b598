import assert from "node:assert/strict";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { createFastGrpcTransport } from "./fast-grpc-transport.js";
import { type GrpcServer, serviceImpl, startGrpcServer } from "./server/server.js";
import { EchoService } from "./testing/echo-service.js";
import { startHttp2Peer } from "./testing/http2-peer.js";
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

  test("many concurrent calls without a signal of their own raise no listener-leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const transport = transportFor(baseUrl);
      const client = createClient(EchoService, transport);
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.read({ text: `${i}` })));
      assert.equal(replies.length, 20);
      await delay(10); // warnings are emitted on a later tick
      transport.close();
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(
      warnings.filter((name) => name === "MaxListenersExceededWarning"),
      [],
    );
  });

  test("carries a message over 64 KiB each way (both flow-control windows)", async () => {
    const client = createClient(EchoService, transportFor(baseUrl));
    const text = "x".repeat(300_000);
    assert.equal((await client.read({ text })).text, `${text}|`);
  });
});

describe("fast gRPC transport, below gRPC", () => {
  /** A bare `node:http2` server whose handler plays a misbehaving or restarting upstream. */
  async function upstream(onStream: (stream: http2.ServerHttp2Stream, attempt: number) => void) {
    const peer = await startHttp2Peer((stream, _headers, attempt) => onStream(stream, attempt));
    after(() => peer.close());
    return peer.baseUrl;
  }
  const notFound = {
    ":status": 200,
    "content-type": "application/grpc",
    "grpc-status": "5",
    "grpc-message": "gone",
  };

  test("a request the upstream refused goes once more and gets the real answer", async () => {
    const url = await upstream((stream, attempt) => {
      if (attempt === 1) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else stream.respond(notFound, { endStream: true });
    });
    const client = createClient(
      EchoService,
      createFastGrpcTransport({ baseUrl: url, streams: createGrpcTransport({ baseUrl: url }) }),
    );
    await assert.rejects(
      client.read({ text: "x" }),
      (e: ConnectError) => e.code === Code.NotFound && e.rawMessage === "gone",
    );
  });

  test("a request refused twice is UNAVAILABLE; a reset for load is RESOURCE_EXHAUSTED", async () => {
    const url = await upstream((stream) => {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    });
    const client = createClient(
      EchoService,
      createFastGrpcTransport({ baseUrl: url, streams: createGrpcTransport({ baseUrl: url }) }),
    );
    await assert.rejects(client.read({ text: "x" }), (e: ConnectError) => e.code === Code.Unavailable);
    const calm = await upstream((stream) => stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM));
    const calmClient = createClient(
      EchoService,
      createFastGrpcTransport({ baseUrl: calm, streams: createGrpcTransport({ baseUrl: calm }) }),
    );
    await assert.rejects(
      calmClient.read({ text: "x" }),
      (e: ConnectError) => e.code === Code.ResourceExhausted,
    );
  });

  test("a call the upstream will not process as it goes away is resent on a new connection", async () => {
    const sessions = new Set<http2.ServerHttp2Session>();
    let first: http2.ServerHttp2Stream | undefined;
    const url = await upstream((stream, attempt) => {
      sessions.add(stream.session as http2.ServerHttp2Session);
      if (attempt === 1) first = stream;
      else if (attempt === 2) {
        // The second call arrived on the first connection: tell the client only the first was taken.
        stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, (first as http2.ServerHttp2Stream).id);
        first?.respond({ ...notFound, "grpc-message": "first" }, { endStream: true });
      } else stream.respond({ ...notFound, "grpc-message": "second" }, { endStream: true });
    });
    const client = createClient(
      EchoService,
      createFastGrpcTransport({ baseUrl: url, streams: createGrpcTransport({ baseUrl: url }) }),
    );
    const outcomes = await Promise.allSettled([client.read({ text: "1" }), client.read({ text: "2" })]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === "rejected" ? (o.reason as ConnectError).rawMessage : "resolved")),
      ["first", "second"],
    );
    assert.equal(sessions.size, 2);
  });

  test("after a deadline on a silent upstream, an unanswered PING drops the connection", async () => {
    let connections = 0;
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      connections++;
      sockets.push(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const transport = createFastGrpcTransport({
      baseUrl: url,
      streams: createGrpcTransport({ baseUrl: url }),
      pingTimeoutMs: 50,
    });
    const client = createClient(EchoService, transport);
    await assert.rejects(
      client.read({ text: "x" }, { timeoutMs: 50 }),
      (e: ConnectError) => e.code === Code.DeadlineExceeded,
    );
    await delay(100);
    await assert.rejects(
      client.read({ text: "x" }, { timeoutMs: 50 }),
      (e: ConnectError) => e.code === Code.DeadlineExceeded,
    );
    assert.equal(connections, 2);
    transport.close();
  });
});
