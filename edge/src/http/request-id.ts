import { randomUUID } from "node:crypto";

const acceptable = /^[\x21-\x7e]{1,128}$/;

/**
 * The request id of a REST request: the caller's `X-Request-Id` when it is a sane token (printable
 * ASCII, at most 128 characters), otherwise a fresh UUID. Why validate: the id is echoed in headers
 * and logs, so it must not carry newlines or unbounded text.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && acceptable.test(value) ? value : randomUUID();
}
