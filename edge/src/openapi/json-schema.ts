import {
  type DescEnum,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  ScalarType,
} from "@bufbuild/protobuf";
import { FieldBehavior, field_behavior } from "@shop/gen/google/api/field_behavior_pb";
import { commentOf } from "./comments.js";

export type Schema = { [key: string]: unknown };

/** `#/components/schemas/<full proto name>`. */
export function schemaRef(typeName: string): Schema {
  return { $ref: `#/components/schemas/${typeName}` };
}

const wellKnown: Readonly<Record<string, Schema>> = {
  "google.protobuf.Timestamp": {
    type: "string",
    format: "date-time",
    description: "RFC 3339 timestamp, UTC.",
  },
  "google.protobuf.Duration": {
    type: "string",
    pattern: "^-?\\d+(\\.\\d+)?s$",
    description: "Seconds with an `s` suffix, e.g. `1.5s`.",
  },
  "google.protobuf.FieldMask": {
    type: "string",
    description: "Comma-separated camelCase field paths, e.g. `name,price`.",
  },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array", items: {} },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string" } },
    required: ["@type"],
    additionalProperties: true,
  },
  "google.protobuf.DoubleValue": { type: ["number", "null"], format: "double" },
  "google.protobuf.FloatValue": { type: ["number", "null"], format: "float" },
  "google.protobuf.Int64Value": { type: ["string", "null"], format: "int64" },
  "google.protobuf.UInt64Value": { type: ["string", "null"], format: "uint64" },
  "google.protobuf.Int32Value": { type: ["integer", "null"], format: "int32" },
  "google.protobuf.UInt32Value": { type: ["integer", "null"], format: "uint32" },
  "google.protobuf.BoolValue": { type: ["boolean", "null"] },
  "google.protobuf.StringValue": { type: ["string", "null"] },
  "google.protobuf.BytesValue": { type: ["string", "null"], format: "byte" },
};

/** Whether a message has a JSON form of its own (Timestamp, FieldMask, wrappers...), inlined, not a component. */
export function isWellKnown(message: DescMessage): boolean {
  return message.typeName in wellKnown;
}

/** The proto3 JSON schema of a scalar: 64-bit integers are strings, bytes are base64. */
export function scalarSchema(scalar: ScalarType): Schema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: "^-?\\d+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^\\d+$" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 };
    default:
      return { type: "integer", format: "int32" };
  }
}

/** The schema of a message or enum used as a type: a `$ref`, or the inline form of a well-known type. */
export function typeSchema(type: DescMessage | DescEnum): Schema {
  if (type.kind === "message" && isWellKnown(type)) return { ...wellKnown[type.typeName] };
  if (type.kind === "enum" && type.typeName === "google.protobuf.NullValue") return { type: "null" };
  return schemaRef(type.typeName);
}

/** The schema of one field's value, repeated and map fields included, without its description. */
export function fieldValueSchema(field: DescField): Schema {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar);
    case "enum":
      return typeSchema(field.enum);
    case "message":
      return typeSchema(field.message);
    case "list":
      return {
        type: "array",
        items:
          field.listKind === "scalar"
            ? scalarSchema(field.scalar)
            : typeSchema(field.listKind === "enum" ? field.enum : field.message),
      };
    case "map":
      return {
        type: "object",
        additionalProperties:
          field.mapKind === "scalar"
            ? scalarSchema(field.scalar)
            : typeSchema(field.mapKind === "enum" ? field.enum : field.message),
      };
  }
}

function behaviorsOf(field: DescField): readonly FieldBehavior[] {
  return hasOption(field, field_behavior) ? getOption(field, field_behavior) : [];
}

/** The field's schema with its proto comment as description and `readOnly` for OUTPUT_ONLY fields. */
export function fieldSchema(field: DescField): Schema {
  const schema = fieldValueSchema(field);
  const description = commentOf(field);
  if (description) schema.description = description;
  if (behaviorsOf(field).includes(FieldBehavior.OUTPUT_ONLY)) schema.readOnly = true;
  return schema;
}

/** Whether the field is marked `(google.api.field_behavior) = REQUIRED`. */
export function isRequired(field: DescField): boolean {
  return behaviorsOf(field).includes(FieldBehavior.REQUIRED);
}

/** Fields marked `(google.api.field_behavior) = REQUIRED`, by JSON name. */
export function requiredFields(message: DescMessage, except: ReadonlySet<string> = new Set()): string[] {
  return message.fields.filter((f) => !except.has(f.name) && isRequired(f)).map((f) => f.jsonName);
}

/** An object schema for a message, optionally leaving out fields bound elsewhere (the URL path). */
export function messageSchema(message: DescMessage, omit: ReadonlySet<string> = new Set()): Schema {
  const properties: Record<string, Schema> = {};
  for (const field of message.fields) {
    if (!omit.has(field.name)) properties[field.jsonName] = fieldSchema(field);
  }
  const schema: Schema = { type: "object", properties, additionalProperties: false };
  const description = commentOf(message);
  if (description) schema.description = description;
  const required = requiredFields(message, omit);
  if (required.length > 0) schema.required = required;
  return schema;
}

/** An enum as a string schema of its proto names (the short form without prefix is also accepted). */
export function enumSchema(descEnum: DescEnum): Schema {
  const lines = [commentOf(descEnum) ?? descEnum.name];
  for (const value of descEnum.values) {
    const comment = commentOf(value);
    lines.push(`- \`${value.name}\`${comment ? `: ${comment.replace(/\s+/g, " ")}` : ""}`);
  }
  if (descEnum.sharedPrefix) {
    lines.push(
      `\nOn input the short name without \`${descEnum.sharedPrefix.toUpperCase()}\` and the number are accepted too.`,
    );
  }
  return { type: "string", enum: descEnum.values.map((v) => v.name), description: lines.join("\n") };
}

/** Every message and enum reachable from `roots`, excluding well-known types, keyed by full name. */
export function collectTypes(roots: readonly DescMessage[]): Map<string, DescMessage | DescEnum> {
  const found = new Map<string, DescMessage | DescEnum>();
  const visit = (type: DescMessage | DescEnum) => {
    if (found.has(type.typeName)) return;
    if (type.kind === "message" && isWellKnown(type)) return;
    if (type.kind === "enum" && type.typeName === "google.protobuf.NullValue") return;
    found.set(type.typeName, type);
    if (type.kind === "enum") return;
    for (const field of type.fields) {
      if (field.enum) visit(field.enum);
      if (field.message) visit(field.message);
    }
  };
  for (const root of roots) visit(root);
  return found;
}
