import type { DescField, DescMethod, JsonValue } from "@bufbuild/protobuf";
import { isRequired } from "../openapi/json-schema.js";
import type { PathTemplate } from "../routes/path-template.js";
import { badRequest } from "./bad-request.js";

/** The request field the edge fills from the `Idempotency-Key` header, not from the body. */
const idempotencyKeyField = "idempotency_key";

/** The method's `idempotency_key` field, if its request has one; looked up once per route. */
export function idempotencyKeyFieldOf(method: DescMethod): DescField | undefined {
  return method.input.fields.find((field) => field.name === idempotencyKeyField);
}

/**
 * The request fields marked `(google.api.field_behavior) = REQUIRED` that a route's JSON body must
 * supply: for `body: "*"` every such top-level field except those the URL path sets (a path
 * variable `{product.id}` sets `product`) and `idempotency_key` (the `Idempotency-Key` header; the
 * service names the header when it is missing); for `body: "field"` that field unless the path sets
 * it (`PATCH /v1/products/{product.id}` with `body: "product"`); for no body, none. Fields that
 * query parameters set are not body fields and are not checked here.
 *
 * Why top-level only: REQUIRED on the request message is the RPC's own contract, while REQUIRED
 * inside a nested resource depends on the method (a field mask update sends a partial `Product`),
 * so nested rules are the service's to enforce. Computed once per route when the table is built.
 */
export function requiredBodyFields(method: DescMethod, body: string, template: PathTemplate): DescField[] {
  if (body === "") return [];
  const pathBound = new Set(template.variables.map((v) => v.fieldPath[0]));
  return method.input.fields.filter(
    (field) =>
      (body === "*" || field.name === body) &&
      isRequired(field) &&
      !pathBound.has(field.name) &&
      field.name !== idempotencyKeyField,
  );
}

/**
 * Throws InvalidArgument naming (by JSON name) every required field the body leaves out or sets to
 * null. Why here and not only in the service: proto3 JSON reads a missing or null field as its
 * default, so `PUT /v1/inventory/{id}` with `{}` reached the service as `available: 0`, a valid
 * value, and emptied the stock instead of being refused.
 */
export function checkRequiredBodyFields(
  fields: readonly DescField[],
  routeBody: string,
  body: JsonValue | undefined,
): void {
  if (fields.length === 0) return;
  if (routeBody !== "*") {
    // The body is the field's value itself.
    const field = fields[0]!;
    if (isMissing(field, body)) {
      throw badRequest(
        `invalid request body: required field "${field.jsonName}" is missing (the body is its value)`,
      );
    }
    return;
  }
  const object = typeof body === "object" && body !== null && !Array.isArray(body) ? body : {};
  const missing = fields.filter((field) => isMissing(field, object[field.jsonName] ?? object[field.name]));
  if (missing.length === 1) {
    throw badRequest(`invalid request body: required field "${missing[0]!.jsonName}" is missing`);
  }
  if (missing.length > 1) {
    const names = missing.map((field) => `"${field.jsonName}"`).join(", ");
    throw badRequest(`invalid request body: required fields ${names} are missing`);
  }
}

/** Absent, or null where null is not itself a value (as it is for `google.protobuf.Value`). */
function isMissing(field: DescField, value: JsonValue | undefined): boolean {
  if (value === undefined) return true;
  if (value !== null) return false;
  return !(
    (field.fieldKind === "message" && field.message.typeName === "google.protobuf.Value") ||
    (field.fieldKind === "enum" && field.enum.typeName === "google.protobuf.NullValue")
  );
}
