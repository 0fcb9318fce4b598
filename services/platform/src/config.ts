import { z } from "zod";

/** A config value that nothing downstream can change by accident, however deep it is nested. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Thrown when the environment does not satisfy the schema. It lists every bad variable at once, so an
 * operator fixes a deployment in one round instead of one variable per restart. Values are never
 * echoed back: they may be secrets.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

/**
 * Parses the environment once at start-up and hands back a typed, deeply frozen object.
 *
 * Why: services must fail fast with a message naming the variable rather than crash later deep
 * inside a handler, and nothing below `main` should read `process.env` (see ARCHITECTURE §5).
 * Empty strings count as unset, because `PORT=` in an env file means "not given", not "port 0".
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): DeepReadonly<z.output<S>> {
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== "") input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, input)));
  }
  return deepFreeze(result.data) as DeepReadonly<z.output<S>>;
}

function describeIssue(issue: z.core.$ZodIssue, input: Record<string, string>): string {
  const name = issue.path.map(String).join(".") || "(environment)";
  const [top] = issue.path;
  const missing = issue.path.length === 1 && typeof top === "string" && input[top] === undefined;
  return `${name}: ${missing && issue.code === "invalid_type" ? "required but not set" : issue.message}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const portMessage = "expected a number between 1 and 65535";

/**
 * A TCP port, so every service declares its port the same way and with the same error. Without a
 * default the variable is required unless the caller adds `.optional()`.
 */
export function portVar(defaultPort?: number) {
  const port = z.coerce
    .number({ error: portMessage })
    .int({ error: portMessage })
    .min(1, { error: portMessage })
    .max(65535, { error: portMessage });
  return defaultPort === undefined ? port : port.default(defaultPort);
}

/**
 * An absolute URL (postgres://, redis://, nats://, http://). Without a default the variable is required,
 * which is how a service says "I cannot run without this dependency".
 */
export function urlVar(defaultUrl?: string) {
  const url = z.string().refine((value) => URL.canParse(value), { error: "expected an absolute URL" });
  return defaultUrl === undefined ? url : url.default(defaultUrl);
}

const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const durationMessage = "expected a duration such as 1500, 250ms, 5s, 2m or 1h";

/**
 * A duration in milliseconds. Accepts a bare number of milliseconds or a value with a unit, because
 * `SHUTDOWN_GRACE_MS=10s` is what people write; the parsed value is always a number of milliseconds.
 */
export function durationMsVar(defaultMs: number) {
  return z
    .string()
    .transform((value, ctx) => {
      const match = durationPattern.exec(value.trim());
      if (!match) {
        ctx.issues.push({ code: "custom", message: durationMessage, input: value });
        return z.NEVER;
      }
      return Math.round(Number(match[1]) * (unitMs[match[2] ?? "ms"] ?? 1));
    })
    .default(defaultMs);
}

/** pino's levels; `silent` turns logging off, which tests and benchmarks want. */
export const logLevelVar = z
  .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
    error: "expected one of fatal, error, warn, info, debug, trace, silent",
  })
  .default("info");

const retryAttemptsMessage = "expected a whole number of attempts between 1 and 10";

/**
 * The variables every service reads, as a zod shape to spread into a service's own schema:
 * `z.object({ ...commonServiceEnv, PORT: portVar(8002), DATABASE_URL: urlVar() })`.
 * The service name is not here on purpose: it is a fact of the code, not of the deployment.
 */
export const commonServiceEnv = {
  LOG_LEVEL: logLevelVar,
  /**
   * Address the gRPC and metrics listeners bind; unset means every interface (containers, where the
   * sidecar reaches the service). `npm start` sets 127.0.0.1: without the mesh's mutual TLS, which is
   * what admits callers of internal RPCs (Charge, Refund, ReserveStock...), a service must not be
   * reachable from other machines.
   */
  HOST: z.string().min(1).optional(),
  /** Where Prometheus scrapes; unset means no metrics listener. */
  METRICS_PORT: portVar().optional(),
  /** How long in-flight calls may take to finish after SIGTERM before the server forces them closed. */
  SHUTDOWN_GRACE_MS: durationMsVar(10_000),
  /**
   * Attempts per idempotent upstream call, the first included; 1 turns the platform client's retries
   * off. Retry in one layer only (ARCHITECTURE §5): run locally the client is that layer (3); behind
   * Envoy sidecars, which retry idempotent routes themselves, compose and Kubernetes set 1. Services
   * pass it to `createUpstream` as `retry: { maxAttempts }`.
   */
  UPSTREAM_RETRY_ATTEMPTS: z.coerce
    .number({ error: retryAttemptsMessage })
    .int({ error: retryAttemptsMessage })
    .min(1, { error: retryAttemptsMessage })
    .max(10, { error: retryAttemptsMessage })
    .default(3),
};
