import { readFileSync } from "node:fs";
import { checkProtoJson, type SchemaProblem } from "./check-proto-json.js";
import type { EnvoySchema } from "./envoy-schema.js";

/** The type every sidecar file is: a static Envoy bootstrap. */
export const bootstrapType = "envoy.config.bootstrap.v3.Bootstrap";

/**
 * Validates one Envoy config text (JSON) against the bootstrap schema. Why a text entry point: the CLI
 * checks committed files and the tests check mutated copies, and both must go through the same parse
 * so a JSON syntax error is reported like any other problem instead of throwing.
 */
export function validateEnvoyText(schema: EnvoySchema, text: string): SchemaProblem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [{ path: "(file)", message: `not valid JSON: ${(error as Error).message}` }];
  }
  return checkProtoJson(schema, bootstrapType, parsed);
}

/** Reads and validates one file; see validateEnvoyText. */
export function validateEnvoyFile(schema: EnvoySchema, file: string): SchemaProblem[] {
  return validateEnvoyText(schema, readFileSync(file, "utf8"));
}
