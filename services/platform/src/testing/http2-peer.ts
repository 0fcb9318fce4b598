import {
  createServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type Settings,
} from "node:http2";
import type { AddressInfo } from "node:net";

export interface Http2Peer {
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  readonly port: number;
  /** HTTP/2 sessions (client connections) accepted so far. */
  sessions(): number;
  /** Stops listening and destroys open sessions, so a test never waits on an idle client. */
  close(): void;
}

/**
 * A bare `node:http2` server on a free port of 127.0.0.1 whose every stream goes to `onStream`,
 * numbered from 1: the peer for tests of an HTTP/2 client, which play a server that resets,
 * refuses, goes away or answers in pieces. Stream errors are swallowed, as the resets a test
 * provokes are what it looks at. For a server that speaks gRPC, see `startTestGrpcServer`.
 */
export async function startHttp2Peer(
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, streamNumber: number) => void,
  settings: Settings = {},
): Promise<Http2Peer> {
  // Generous session memory: tests send megabyte bodies through windows they make small.
  const server = createServer({ settings, maxSessionMemory: 100 });
  const open = new Set<ServerHttp2Session>();
  let sessions = 0;
  let streams = 0;
  server.on("session", (session) => {
    sessions++;
    open.add(session);
    session.once("close", () => open.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    onStream(stream, headers, ++streams);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    sessions: () => sessions,
    close() {
      for (const session of open) session.destroy();
      server.close();
    },
  };
}
