/**
 * A minimal REST client for end-to-end tests: what a user of the public API does with `fetch`,
 * nothing more (JSON bodies, a bearer token, the status and the parsed JSON answer).
 */

export interface RestResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer is whatever the server sent; tests assert its shape.
  readonly body: any;
}

export interface RestCallOptions {
  readonly token?: string;
  /** A value to send as JSON, or a raw string sent as is (to test malformed JSON). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type RestClient = (method: string, path: string, options?: RestCallOptions) => Promise<RestResponse>;

/**
 * A REST client bound to one base URL. Why a helper: each journey step is one line, so the test
 * reads as the API walk it is; the answer is always read fully, so connections are reused.
 */
export function createRestClient(baseUrl: string): RestClient {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(new URL(path, baseUrl), { method, headers, body });
    const text = await response.text();
    const contentType = response.headers.get("content-type") ?? "";
    return {
      status: response.status,
      headers: response.headers,
      body: contentType.includes("json") && text !== "" ? JSON.parse(text) : text,
    };
  };
}
