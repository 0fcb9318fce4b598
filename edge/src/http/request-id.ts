import { randomUUID } from "node:crypto";

/** Letters, digits and `.`, `_`, `:`, `-`: enough for UUIDs, ULIDs and the usual prefixed ids. */
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of a REST request: the caller's `X-Request-Id` when it is 1 to 128 characters of
 * `[A-Za-z0-9._:-]`, otherwise a fresh UUID. Why so strict: the id is echoed in the response header,
 * in the JSON error body, in logs and in upstream metadata, so it must carry nothing a reader of any
 * of those could mistake for markup, quoting, separators or a second value (`<`, `"`, `;`, `,`,
 * spaces), let alone newlines or unbounded text.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && acceptable.test(value) ? value : randomUUID();
}
