import { type DestinationStream, type Level, type Logger, pino } from "pino";

export type { Logger };

/** Field names whose values must never reach a log line, wherever they appear in a logged object. */
export const secretKeys = [
  "password",
  "passwordHash",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "authorization",
  "cookie",
  "set-cookie",
  "cardToken",
  "card_token",
  "secret",
  "privateKey",
] as const;

/**
 * How deep redaction looks. pino's paths have no recursive wildcard, so we list one path per depth;
 * four levels cover `{ err: { request: { header: { authorization } } } }`-shaped objects, which is as
 * deep as anything this code base logs (and it never logs whole requests).
 */
const redactDepth = 4;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of secretKeys) {
    const plain = /^[A-Za-z_$][\w$]*$/.test(key);
    for (let depth = 0; depth < redactDepth; depth++) {
      const parents = Array.from({ length: depth }, () => "*");
      paths.push(plain ? [...parents, key].join(".") : `${parents.join(".")}["${key}"]`);
    }
  }
  return paths;
}

export interface LoggerOptions {
  /** Goes on every line as `service`, so a shared log pipeline can tell the services apart. */
  service: string;
  level: Level | "silent";
  /** Where lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

/**
 * Creates the process logger: JSON lines to stdout with an ISO `time`, a textual `level`, the `service`
 * name, and secrets replaced by "[redacted]". Why one factory: every service must emit the same shape
 * so logs can be searched across the mesh by `trace_id`, and redaction must not depend on each author
 * remembering it.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: redactPaths(), censor: "[redacted]" },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
