import { type DescField, type DescMessage, type JsonValue, ScalarType } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import { badRequest } from "./bad-request.js";
import { resolveEnumValue } from "./enum-names.js";
import { findField, type JsonObject } from "./text-fields.js";

/**
 * Returns a copy of a proto3 JSON request body with its enum values rewritten: short names and
 * numeric strings become full proto names, so protobuf-es `fromJson` accepts what ARCHITECTURE §6
 * allows. Everything else is left untouched for `fromJson` to validate (unknown keys included).
 * Why before `fromJson`: its own enum parsing knows only the full names.
 *
 * It also refuses a 64-bit integer field given as a JSON number beyond ±2^53 (see
 * `refuseRoundedInteger`), the one mistake `fromJson` cannot see: the body was already parsed.
 */
export function normalizeRequestJson(schema: DescMessage, json: JsonValue): JsonValue {
  if (!isObject(json) || hasCustomJsonRepresentation(schema)) return json;
  // Object.fromEntries defines every key as an own property. Assigning `out[key] = value` would not:
  // for a body key `__proto__` it replaced the copy's prototype, so the key vanished and `fromJson`
  // never refused it as unknown (`{"available": 1, "__proto__": {...}}` passed as if it were absent).
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => {
      const field = findField(schema, key);
      return [key, field && value !== null ? normalizeField(field, value) : value];
    }),
  );
}

function normalizeField(field: DescField, value: JsonValue): JsonValue {
  switch (field.fieldKind) {
    case "enum":
      return normalizeEnum(field, value);
    case "message":
      return isWrapperOf64BitInteger(field.message)
        ? refuseRoundedInteger(field.jsonName, value)
        : normalizeRequestJson(field.message, value);
    case "scalar":
      return is64BitInteger(field.scalar) ? refuseRoundedInteger(field.jsonName, value) : value;
    case "list":
      if (!Array.isArray(value)) return value;
      if (field.listKind === "enum") return value.map((item) => normalizeEnumItem(field, field.enum, item));
      if (field.listKind === "message") return value.map((item) => normalizeRequestJson(field.message, item));
      if (is64BitInteger(field.scalar))
        return value.map((item) => refuseRoundedInteger(field.jsonName, item));
      return value;
    case "map":
      if (!isObject(value)) return value;
      if (field.mapKind === "enum") {
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, normalizeEnumItem(field, field.enum, v)]),
        );
      }
      if (field.mapKind === "message") {
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, normalizeRequestJson(field.message, v)]),
        );
      }
      if (is64BitInteger(field.scalar)) {
        for (const item of Object.values(value)) refuseRoundedInteger(field.jsonName, item);
      }
      return value;
    default:
      return value;
  }
}

function normalizeEnum(field: DescField & { fieldKind: "enum" }, value: JsonValue): JsonValue {
  return normalizeEnumItem(field, field.enum, value);
}

function normalizeEnumItem(
  field: DescField,
  descEnum: Parameters<typeof resolveEnumValue>[0],
  value: JsonValue,
) {
  // google.protobuf.NullValue keeps its JSON null; other non-string, non-number values are left
  // for fromJson to reject with its own message.
  if (typeof value !== "string" && typeof value !== "number") return value;
  if (typeof value === "number" && !Number.isInteger(value)) return value;
  return resolveEnumValue(descEnum, value, field.jsonName);
}

const sixtyFourBitIntegers: ReadonlySet<ScalarType | undefined> = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

function is64BitInteger(scalar: ScalarType | undefined): boolean {
  return sixtyFourBitIntegers.has(scalar);
}

/** `google.protobuf.Int64Value` and `UInt64Value`, whose JSON form is the bare number (or string). */
function isWrapperOf64BitInteger(schema: DescMessage): boolean {
  return (
    schema.typeName === "google.protobuf.Int64Value" || schema.typeName === "google.protobuf.UInt64Value"
  );
}

/**
 * Returns `value`, or throws InvalidArgument when it is an integer JSON number beyond ±2^53 for a
 * 64-bit field. Why: proto3 JSON allows 64-bit integers as numbers, but `JSON.parse` reads every
 * number as a double, so `9007199254740993` arrives as `9007199254740992`; passing that on stored a
 * different value (a price, a quantity) than the caller sent, with a 200. Numbers within ±2^53 are
 * exact and pass; beyond it the sent digits are gone, so the caller is told to send a string, as
 * the edge's own responses do for every 64-bit integer.
 */
function refuseRoundedInteger(name: string, value: JsonValue): JsonValue {
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw badRequest(
      `invalid request body: "${name}" is a 64-bit integer beyond ±2^53 sent as a JSON number, which loses digits in JSON parsing; send it as a string (e.g. "9007199254740993")`,
    );
  }
  return value;
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
