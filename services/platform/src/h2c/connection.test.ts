import assert from "node:assert/strict";
import http2, { type ServerHttp2Stream } from "node:http2";
import net, { type AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { type Http2Peer, startHttp2Peer } from "../testing/http2-peer.js";
import { freePort } from "../testing/ports.js";
import { type ClientStream, H2cConnection, type StreamFailure } from "./connection.js";
import {
  connectionPreface,
  ErrorCode,
  encodeFrame,
  encodeUint32Frame,
  Flag,
  FrameReader,
  FrameType,
} from "./frames.js";
import type { HeaderField } from "./header-decoder.js";

/** What one request came back with. */
interface Outcome {
  headers?: HeaderField[];
  trailers?: HeaderField[];
  body: Buffer;
  failure?: StreamFailure;
}

function requestFields(path: string, extra: [string, string][] = []): [string, string][] {
  return [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", "test"], ...extra];
}

function send(
  connection: H2cConnection,
  path: string,
  body: Buffer = Buffer.alloc(0),
  extra: [string, string][] = [],
): Promise<Outcome> & { stream: ClientStream } {
  let stream: ClientStream | undefined;
  const promise = new Promise<Outcome>((resolve) => {
    const chunks: Buffer[] = [];
    const outcome: Outcome = { body: Buffer.alloc(0) };
    const done = () => resolve({ ...outcome, body: Buffer.concat(chunks) });
    stream = connection.request(requestFields(path, extra), body, {
      onHeaders(fields, endStream) {
        if (outcome.headers) outcome.trailers = fields;
        else outcome.headers = fields;
        if (endStream) done();
      },
      onData(payload, endStream) {
        chunks.push(payload);
        if (endStream) done();
      },
      onFailure(failure) {
        outcome.failure = failure;
        done();
      },
    });
  });
  return Object.assign(promise, { stream: stream as unknown as ClientStream });
}

const field = (fields: HeaderField[] | undefined, name: string) =>
  fields?.find((f) => f.name === name)?.value;

function readAll(stream: ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

const peers: Http2Peer[] = [];
const connections: H2cConnection[] = [];
after(() => {
  for (const connection of connections) connection.close();
  for (const peer of peers) peer.close();
});

/** A real `node:http2` server (the peer the mesh's services run on) and a connection to it. */
async function connectTo(
  onStream: (stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  settings?: http2.Settings,
) {
  const peer = await startHttp2Peer(onStream, settings);
  peers.push(peer);
  const connection = new H2cConnection("127.0.0.1", peer.port);
  connections.push(connection);
  return { ...peer, connection };
}

describe("h2c client connection against node:http2", () => {
  test("carries megabyte bodies both ways through flow control, with a small server window", async () => {
    const { connection } = await connectTo(
      async (stream) => {
        const body = await readAll(stream);
        stream.respond({ ":status": 200 }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "x-length": String(body.byteLength) }));
        stream.end(Buffer.concat([body, body]));
      },
      { initialWindowSize: 1000, maxFrameSize: 32_768 },
    );
    const body = Buffer.alloc(1024 * 1024 + 7, "ab");
    const outcome = await send(connection, "/echo", body);
    assert.equal(outcome.failure, undefined);
    assert.equal(field(outcome.headers, ":status"), "200");
    assert.equal(field(outcome.trailers, "x-length"), String(body.byteLength));
    assert.equal(outcome.body.byteLength, 2 * body.byteLength);
    assert.ok(outcome.body.equals(Buffer.concat([body, body])));
  });

  test("queues requests over the server's concurrency limit and runs them all", async () => {
    let active = 0;
    let mostActive = 0;
    const { connection } = await connectTo(
      (stream, headers) => {
        active++;
        mostActive = Math.max(mostActive, active);
        setTimeout(() => {
          active--;
          stream.respond({ ":status": 200, "x-path": String(headers[":path"]) }, { endStream: true });
        }, 10);
      },
      { maxConcurrentStreams: 2 },
    );
    // The first request learns the limit (it arrives in the server's SETTINGS).
    await send(connection, "/warm");
    const outcomes = await Promise.all(Array.from({ length: 7 }, (_, i) => send(connection, `/q${i}`)));
    assert.deepEqual(
      outcomes.map((o) => field(o.headers, "x-path")),
      Array.from({ length: 7 }, (_, i) => `/q${i}`),
    );
    assert.equal(mostActive, 2);
  });

  test("decodes header blocks split over CONTINUATION frames and indexed by the server", async () => {
    const big = "v".repeat(40_000);
    const { connection } = await connectTo((stream) => {
      stream.respond({ ":status": 200, "x-big": big, "x-same": "again" }, { endStream: true });
    });
    for (let i = 0; i < 3; i++) {
      const outcome = await send(connection, "/headers");
      assert.equal(field(outcome.headers, "x-big"), big);
      assert.equal(field(outcome.headers, "x-same"), "again");
    }
  });

  test("reports a RST_STREAM with its code; REFUSED_STREAM as refused; the connection lives on", async () => {
    const { connection } = await connectTo((stream, headers) => {
      if (headers[":path"] === "/calm") stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      else if (headers[":path"] === "/refuse") stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else stream.respond({ ":status": 204 }, { endStream: true });
    });
    assert.deepEqual((await send(connection, "/calm")).failure, {
      kind: "reset",
      errorCode: ErrorCode.enhanceYourCalm,
    });
    assert.equal((await send(connection, "/refuse")).failure?.kind, "refused");
    assert.equal(field((await send(connection, "/ok")).headers, ":status"), "204");
    assert.ok(connection.acceptsStreams);
  });

  test("on GOAWAY, streams past the last id are refused and the connection retires", async () => {
    const held: ServerHttp2Stream[] = [];
    const { connection } = await connectTo((stream) => {
      held.push(stream);
      if (held.length === 2) {
        stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, (held[0] as ServerHttp2Stream).id);
        (held[0] as ServerHttp2Stream).respond({ ":status": 200 }, { endStream: true });
      }
    });
    let retired = false;
    connection.onRetire = () => {
      retired = true;
    };
    const first = send(connection, "/first");
    const second = send(connection, "/second");
    const [a, b] = await Promise.all([first, second]);
    assert.equal(field(a.headers, ":status"), "200");
    assert.equal(b.failure?.kind, "refused");
    assert.ok(retired);
    assert.equal(connection.acceptsStreams, false);
  });

  test("a cancelled stream is reset on the wire and its listener hears nothing more", async () => {
    let reportReset!: (code: number) => void;
    const reset = new Promise<number>((resolve) => {
      reportReset = resolve;
    });
    const { connection } = await connectTo((stream) => stream.on("close", () => reportReset(stream.rstCode)));
    let heard = false;
    const call = send(connection, "/slow");
    void call.then(() => {
      heard = true;
    });
    await delay(30);
    call.stream.cancel();
    assert.equal(await reset, http2.constants.NGHTTP2_CANCEL);
    await delay(30);
    assert.equal(heard, false);
  });

  test("answers the server's PING", async () => {
    const { connection } = await connectTo((stream) => {
      stream.session?.ping((error, duration) => {
        stream.respond(
          { ":status": 200, "x-ping": error ? "failed" : `ok ${duration >= 0}` },
          { endStream: true },
        );
      });
    });
    assert.equal(field((await send(connection, "/ping")).headers, "x-ping"), "ok true");
  });

  test("a server that drops the connection fails its streams as a connection failure", async () => {
    const { connection } = await connectTo((stream) => stream.session?.destroy());
    const outcome = await send(connection, "/drop");
    assert.equal(outcome.failure?.kind, "connection");
    assert.equal(connection.acceptsStreams, false);
  });
});

describe("h2c client connection against a broken or silent peer", () => {
  /** A raw TCP server: `onConnect` decides what bytes the client gets. */
  async function rawPeer(onConnect: (socket: net.Socket) => void) {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      onConnect(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    after(() => server.close());
    return { port: (server.address() as AddressInfo).port, connections: () => connections };
  }

  test("a frame that breaks the protocol ends the connection with GOAWAY PROTOCOL_ERROR", async () => {
    const received: Buffer[] = [];
    let peerClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      peerClosed = resolve;
    });
    const { port } = await rawPeer((socket) => {
      socket.on("data", (chunk) => received.push(chunk));
      socket.on("close", () => peerClosed());
      socket.on("error", () => {});
      // SETTINGS (empty), then a DATA frame on stream 0, which no peer may send.
      socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x61]));
    });
    const connection = new H2cConnection("127.0.0.1", port);
    const outcome = await send(connection, "/x");
    assert.equal(outcome.failure?.kind, "protocol");
    await closed;
    const wire = Buffer.concat(received);
    const goaway = wire.indexOf(Buffer.from([0x07, 0x00, 0x00, 0x00, 0x00, 0x00]));
    assert.ok(goaway > 0, "the client sent a GOAWAY frame");
    assert.equal(wire.readUInt32BE(goaway + 10), ErrorCode.protocolError);
  });

  test("sends no more body than the peer's windows allow, and the rest after WINDOW_UPDATE", async () => {
    let dataBytes = 0;
    let ended = false;
    let peer!: net.Socket;
    const { port } = await rawPeer((socket) => {
      peer = socket;
      socket.on("error", () => {});
      const reader = new FrameReader(1 << 24);
      socket.on("data", (chunk: Buffer) => {
        // The preface is not a frame: skip it.
        const frames = chunk.subarray(0, 24).equals(connectionPreface) ? chunk.subarray(24) : chunk;
        reader.push(frames, (frame) => {
          if (frame.type !== FrameType.data) return;
          dataBytes += frame.payload.byteLength;
          if (frame.flags & Flag.endStream) ended = true;
        });
      });
      socket.write(encodeFrame(FrameType.settings, 0, 0));
    });
    const connection = new H2cConnection("127.0.0.1", port);
    connections.push(connection);
    void send(connection, "/upload", Buffer.alloc(100_000, 1));
    await delay(100);
    assert.equal(dataBytes, 65_535, "the default windows hold the body back");
    assert.equal(ended, false);
    peer.write(encodeUint32Frame(FrameType.windowUpdate, 0, 50_000));
    peer.write(encodeUint32Frame(FrameType.windowUpdate, 1, 50_000));
    await delay(100);
    assert.equal(dataBytes, 100_000);
    assert.equal(ended, true);
    peer.destroy();
  });

  test("requests sent in one event-loop turn leave in one write", async () => {
    let peer!: net.Socket;
    const { port } = await rawPeer((socket) => {
      peer = socket;
      socket.on("error", () => {});
      socket.write(encodeFrame(FrameType.settings, 0, 0));
    });
    const connection = new H2cConnection("127.0.0.1", port);
    connections.push(connection);
    await delay(50); // connected, preface and SETTINGS exchanged
    // Count the system writes (net.Socket's _write / _writev) on this connection's socket.
    const prototype = net.Socket.prototype as unknown as Record<
      "_write" | "_writev",
      (...args: unknown[]) => void
    >;
    const originals = { _write: prototype._write, _writev: prototype._writev };
    let writes = 0;
    for (const name of ["_write", "_writev"] as const) {
      prototype[name] = function (this: net.Socket, ...args: unknown[]) {
        if (this.remotePort === port) writes++;
        return originals[name].apply(this, args);
      };
    }
    try {
      for (let i = 0; i < 5; i++) void send(connection, `/burst/${i}`, Buffer.from("x"));
      await delay(50);
    } finally {
      Object.assign(prototype, originals);
    }
    assert.equal(writes, 1, "five requests, one write");
    peer.destroy();
  });

  test("a peer that never answers is dropped after an unanswered PING", async () => {
    const { port } = await rawPeer((socket) => socket.on("error", () => {}));
    const connection = new H2cConnection("127.0.0.1", port);
    const call = send(connection, "/x");
    connection.checkAlive(100);
    const outcome = await call;
    assert.equal(outcome.failure?.kind, "connection");
    assert.match((outcome.failure as { reason: string }).reason, /PING/);
    assert.equal(connection.acceptsStreams, false);
  });

  test("nothing listening is a connection failure", async () => {
    const outcome = await send(new H2cConnection("127.0.0.1", await freePort()), "/x");
    assert.equal(outcome.failure?.kind, "connection");
    assert.match((outcome.failure as { reason: string }).reason, /ECONNREFUSED/);
  });
});
