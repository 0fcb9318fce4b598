import type { AddressInfo } from "node:net";
import { createServer } from "node:net";

/**
 * A TCP port that was free a moment ago on 127.0.0.1. Prefer listening on port 0 where the code under
 * test allows it; this is for what must be told a port up front (child processes, config objects).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
