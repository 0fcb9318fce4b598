import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import { resolveEnumValue } from "./enum-names.js";
import { findField, type JsonObject } from "./text-fields.js";

/**
 * Returns a copy of a proto3 JSON request body with its enum values rewritten: short names and
 * numeric strings become full proto names, so protobuf-es `fromJson` accepts what ARCHITECTURE §6
 * allows. Everything else is left untouched for `fromJson` to validate (unknown keys included).
 * Why before `fromJson`: its own enum parsing knows only the full names.
 */
export function normalizeEnums(schema: DescMessage, json: JsonValue): JsonValue {
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
      return normalizeEnums(field.message, value);
    case "list":
      if (!Array.isArray(value)) return value;
      if (field.listKind === "enum") return value.map((item) => normalizeEnumItem(field, field.enum, item));
      if (field.listKind === "message") return value.map((item) => normalizeEnums(field.message, item));
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
          Object.entries(value).map(([k, v]) => [k, normalizeEnums(field.message, v)]),
        );
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

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
