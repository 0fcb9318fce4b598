import { type DescField, type DescMessage, type JsonValue, ScalarType } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import { badRequest } from "./bad-request.js";
import { resolveEnumValue } from "./enum-names.js";

export type JsonObject = { [key: string]: JsonValue };

/** Finds a field by its proto name (`page_size`) or its JSON name (`pageSize`). */
export function findField(schema: DescMessage, name: string): DescField | undefined {
  return schema.fields.find((f) => f.name === name || f.jsonName === name);
}

/**
 * Resolves a dotted field path (`product.id`, `a.b.c`, proto or JSON names per segment) against a
 * message, returning the fields along the way. Throws InvalidArgument naming `what` when a segment
 * is unknown or steps into something that is not a plain message.
 */
export function resolveFieldPath(schema: DescMessage, path: readonly string[], what: string): DescField[] {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = schema;
  for (const [i, name] of path.entries()) {
    const field: DescField | undefined = message ? findField(message, name) : undefined;
    if (!field) throw badRequest(`unknown ${what} "${path.join(".")}"`);
    fields.push(field);
    const last = i === path.length - 1;
    if (!last) {
      if (field.fieldKind !== "message" || hasCustomJsonRepresentation(field.message)) {
        throw badRequest(`${what} "${path.join(".")}": "${name}" has no sub-fields`);
      }
      message = field.message;
    }
  }
  return fields;
}

/**
 * Writes text values (from a URL path or query string) for the field path into a proto3 JSON object
 * tree, converted to the JSON form `fromJson` expects: booleans as booleans, enums by proto name
 * (short names and numbers accepted), everything else as the string proto3 JSON allows (64-bit
 * integers, bytes as base64, FieldMask as a comma list, Timestamp as RFC 3339). Several values are
 * only allowed for repeated fields.
 */
export function setTextField(
  root: JsonObject,
  fields: readonly DescField[],
  values: readonly string[],
  what: string,
): void {
  const name = fields.map((f) => f.jsonName).join(".");
  let target = root;
  for (const field of fields.slice(0, -1)) {
    const child = target[field.jsonName];
    if (typeof child === "object" && child !== null && !Array.isArray(child)) {
      target = child;
    } else {
      const created: JsonObject = {};
      target[field.jsonName] = created;
      target = created;
    }
  }
  const field = fields[fields.length - 1]!;
  if (field.fieldKind === "list") {
    const items = values.map((text) => {
      if (field.listKind === "scalar") return scalarText(field.scalar, text, name);
      if (field.listKind === "enum") return resolveEnumValue(field.enum, text, name);
      return messageText(field.message, text, name, what);
    });
    const existing = target[field.jsonName];
    target[field.jsonName] = Array.isArray(existing) ? [...existing, ...items] : items;
    return;
  }
  if (field.fieldKind === "map") throw badRequest(`${what} "${name}": map fields cannot be set from text`);
  if (values.length !== 1)
    throw badRequest(`${what} "${name}" is not repeated but was given ${values.length} times`);
  const text = values[0]!;
  if (field.fieldKind === "scalar") target[field.jsonName] = scalarText(field.scalar, text, name);
  else if (field.fieldKind === "enum") target[field.jsonName] = resolveEnumValue(field.enum, text, name);
  else target[field.jsonName] = messageText(field.message, text, name, what);
}

function scalarText(scalar: ScalarType, text: string, name: string): JsonValue {
  if (scalar !== ScalarType.BOOL) return text;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw badRequest(`${name}: expected true or false, got "${text}"`);
}

function messageText(message: DescMessage, text: string, name: string, what: string): JsonValue {
  if (!hasCustomJsonRepresentation(message)) {
    throw badRequest(`${what} "${name}" is a message: set its fields instead, e.g. "${name}.<field>"`);
  }
  if (message.typeName === "google.protobuf.BoolValue") return scalarText(ScalarType.BOOL, text, name);
  return text;
}
