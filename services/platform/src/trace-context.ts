import { randomHex } from "./random-hex.js";

/** The parts of a W3C `traceparent` header that this mesh uses. */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly flags: string;
}

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const allZeros = /^0+$/;

/**
 * Reads a W3C Trace Context `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`), or returns
 * undefined when it is absent or malformed. Why strict: a trace id is a join key across every
 * service's logs, so a garbage value must be replaced, not propagated.
 */
export function parseTraceparent(value: string | null | undefined): TraceParent | undefined {
  if (!value) return undefined;
  const match = traceparentPattern.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match;
  if (!version || !traceId || !parentId || !flags) return undefined;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (allZeros.test(traceId) || allZeros.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

/** A fresh 32-hex trace id, for calls that arrive without a usable `traceparent`. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A fresh 16-hex span id: the id this process uses as the parent of the calls it makes. */
export function newSpanId(): string {
  return randomHex(8);
}

/**
 * The trace id of an incoming call: the caller's if its `traceparent` is valid, otherwise a new one.
 * Accepts fetch `Headers` (Connect) or anything with a `get` (NATS message headers).
 */
export function traceIdFrom(headers: { get(name: string): string | null | undefined }): string {
  return parseTraceparent(headers.get("traceparent"))?.traceId ?? newTraceId();
}

/** Formats a version-00 `traceparent` for an outgoing call or message. */
export function formatTraceparent(traceId: string, spanId: string, flags = "00"): string {
  return `00-${traceId}-${spanId}-${flags}`;
}
