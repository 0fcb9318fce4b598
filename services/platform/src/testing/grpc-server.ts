import { createServer, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

export interface TestGrpcServer {
  /** `http://127.0.0.1:<port>`, ready for a gRPC transport (h2c). */
  readonly baseUrl: string;
  readonly port: number;
  /** Stops listening and destroys open HTTP/2 sessions, so a test never hangs on a pooled client. */
  close(): Promise<void>;
}

/**
 * Serves Connect routes over h2c on a free port of 127.0.0.1. For tests of client-side behaviour
 * (deadlines, retries, breakers) against a real HTTP/2 gRPC server rather than a mock transport.
 * Production servers use the platform server module instead.
 */
export async function startTestGrpcServer(routes: (router: ConnectRouter) => void): Promise<TestGrpcServer> {
  const server = createServer(connectNodeAdapter({ routes }));
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const session of sessions) session.destroy();
      }),
  };
}
