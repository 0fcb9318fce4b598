/**
 * A lean JSON-over-HTTP/1.1 client for B7's load generator. Why not `fetch`: the generator shares the
 * machine's two cores with the system it measures, so every CPU cycle it spends is one the services
 * lose; `node:http` with a keep-alive agent costs noticeably less per request.
 */
import http from "node:http";

export interface RestAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed JSON answer; callers read the fields they need.
  readonly body: any;
}

export type RestCall = (
  method: string,
  path: string,
  options?: { token?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<RestAnswer>;

/**
 * A client bound to the edge's base URL, with up to `maxSockets` kept-alive connections. Answers are
 * always read to the end, so sockets go back to the pool.
 */
export function createRestCall(baseUrl: string, maxSockets = 256): RestCall {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const base = new URL(baseUrl);
  return (method, path, options = {}) =>
    new Promise((resolve, reject) => {
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = { accept: "application/json", ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(payload));
      }
      const request = http.request(
        { host: base.hostname, port: base.port, method, path, headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            if ((response.headers["content-type"] ?? "").includes("json") && text !== "") {
              try {
                body = JSON.parse(text);
              } catch {
                // keep the raw text: the caller reports it with the status
              }
            }
            resolve({ status: response.statusCode ?? 0, body });
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(payload);
    });
}
