import { type DestinationStream, type Level, type Logger, pino } from "pino";
import { createBufferedStdout } from "./buffered-stdout.js";
import { createRedactor, secretKeys } from "./log-redaction.js";

export type { Logger };
export { secretKeys };

export interface LoggerOptions {
  /** Goes on every line as `service`, so a shared log pipeline can tell the services apart. */
  service: string;
  level: Level | "silent";
  /** Where lines go; buffered stdout (see `createBufferedStdout`) when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

/**
 * Creates the process logger: JSON lines to (buffered) stdout with an ISO `time`, a textual `level`, the `service`
 * name, and secrets replaced by "[redacted]" at any depth, in the logged object and in child-logger
 * bindings alike (see `createRedactor`). Why one factory: every service must emit the same shape so
 * logs can be searched across the mesh by `trace_id`, and redaction must not depend on each author
 * remembering it.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor();
  const settings = {
    level: options.level,
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }), log: redact },
  };
  const logger = pino(settings, options.destination ?? createBufferedStdout());
  // pino skips the bindings formatter for child loggers, so their bindings are redacted here;
  // children are created from their parent's prototype chain and so inherit this override.
  const pinoChild = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, redact(bindings), childOptions);
  } as Logger["child"];
  return logger;
}
