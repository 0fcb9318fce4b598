import { Writable } from "node:stream";

/**
 * An in-memory destination for `createLogger`, so tests assert on exactly the JSON lines production
 * would print: redaction, fields and levels are checked on the real output, not on mocks.
 */
export function createLogSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return {
    stream,
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Reads a dotted path (`"err.message"`) out of a parsed log record, for assertions on nested fields. */
export function pluck(record: unknown, path: string): unknown {
  let value = record;
  for (const key of path.split(".")) {
    value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}
