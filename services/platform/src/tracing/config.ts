import { z } from "zod";
import { type DeepReadonly, parseConfig } from "../config.js";

/**
 * The OpenTelemetry variables every process reads, as a zod shape (the names are the standard
 * OpenTelemetry ones, so a collector-side operator needs no Shop-specific knowledge):
 * - `OTEL_EXPORTER_OTLP_ENDPOINT`: base URL of an OTLP/HTTP receiver (`http://otel-collector:4318`);
 *   spans go to `<endpoint>/v1/traces`. Unset: nothing is exported, context still propagates.
 * - `OTEL_SERVICE_NAME`: the `service.name` resource attribute; defaults to the service's own name.
 */
export const tracingEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
      error: "expected an http:// or https:// URL of an OTLP/HTTP receiver",
    })
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

export const tracingEnvSchema = z.object(tracingEnv);

export type TracingConfig = DeepReadonly<z.output<typeof tracingEnvSchema>>;

/**
 * Reads the tracing variables once, when a process first sets tracing up. Why a separate schema and
 * not each service's: tracing is process-wide and set up by the platform runtime itself, so every
 * service gets it identically without repeating the two variables in seven config files.
 */
export function loadTracingConfig(env: Record<string, string | undefined> = process.env): TracingConfig {
  return parseConfig(tracingEnvSchema, env);
}
