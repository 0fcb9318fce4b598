import { randomBytes } from "node:crypto";

/**
 * A name no other test run will pick: prefix, time, process id and random bits, in lower case letters,
 * digits and underscores only, so it is valid as a Postgres database, a Redis key prefix, a NATS
 * stream or a consumer name. Why: `npm test` runs files in parallel and runs may overlap, so shared
 * fixed names (a "test" database, an "ORDERS" stream) would make tests depend on each other.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .slice(0, 24);
  return `${clean}_${Date.now().toString(36)}_${process.pid.toString(36)}_${randomBytes(4).toString("hex")}`;
}

/**
 * A JetStream stream name unique to this test (`ORDERS_lx3k9_1a2b_9f8e7d6c`): upper-case prefix as
 * stream names conventionally are. Use it also as the subject root (`${name}.>`) so streams of
 * concurrent runs never capture each other's messages.
 */
export function createTestStreamName(prefix: string): string {
  const name = uniqueName(prefix);
  const split = name.indexOf("_");
  return `${name.slice(0, split).toUpperCase()}${name.slice(split)}`;
}
