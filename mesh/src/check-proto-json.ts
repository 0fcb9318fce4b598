import protobuf from "protobufjs";
import type { EnvoySchema } from "./envoy-schema.js";

/** One problem, with the JSON path of the offending value (`static_resources.clusters[2].connect_timeout`). */
export interface SchemaProblem {
  path: string;
  message: string;
}

const durationPattern = /^-?\d+(\.\d{1,9})?s$/;
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;
const typeUrlPrefix = "type.googleapis.com/";

const specialJson = new Set([
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.ListValue",
  "google.protobuf.Value",
  "google.protobuf.Any",
]);

const wrapperScalar: Record<string, string> = {
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};

const intRanges: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Edit distance, only to suggest the field a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

class Checker {
  readonly problems: SchemaProblem[] = [];
  constructor(private readonly schema: EnvoySchema) {}

  fail(path: string, message: string): void {
    this.problems.push({ path: path || "(root)", message });
  }

  message(value: unknown, type: protobuf.Type, path: string): void {
    const name = type.fullName.replace(/^\./, "");
    if (this.wellKnown(value, name, path)) return;
    if (!isPlainObject(value)) {
      this.fail(path, `expected an object for ${name}, got ${describe(value)}`);
      return;
    }
    const byJsonName = new Map<string, protobuf.Field>();
    for (const field of type.fieldsArray) {
      byJsonName.set(field.name, field);
      byJsonName.set(lowerCamel(field.name), field);
    }
    const seen = new Map<protobuf.Field, string>();
    for (const [key, child] of Object.entries(value)) {
      const field = byJsonName.get(key);
      const at = join(path, key);
      if (!field) {
        const suggestion = type.fieldsArray
          .map((candidate) => ({ candidate: candidate.name, cost: distance(key, candidate.name) }))
          .sort((a, b) => a.cost - b.cost)[0];
        const hint = suggestion && suggestion.cost <= 3 ? ` (did you mean "${suggestion.candidate}"?)` : "";
        this.fail(at, `unknown field "${key}" in ${name}${hint}`);
        continue;
      }
      const earlier = seen.get(field);
      if (earlier !== undefined) {
        this.fail(at, `field ${field.name} is also set as "${earlier}"`);
        continue;
      }
      seen.set(field, key);
      if (field.options?.deprecated === true) {
        this.fail(at, `field ${field.name} of ${name} is deprecated; Envoy rejects it by default`);
      }
      if (child === null) continue;
      this.field(child, field, at);
    }
    this.presence(value, type, name, path, seen);
  }

  /** protoc-gen-validate rules Envoy enforces at load time: required fields and oneofs. */
  private presence(
    value: Record<string, unknown>,
    type: protobuf.Type,
    name: string,
    path: string,
    seen: Map<protobuf.Field, string>,
  ): void {
    for (const field of type.fieldsArray) {
      const options = field.options ?? {};
      const required =
        options["(validate.rules).message.required"] === true ||
        options["(validate.rules).duration.required"] === true ||
        options["(validate.rules).any.required"] === true;
      const key = seen.get(field);
      // A rule on a oneof member applies only when that member is the one chosen.
      if (required && !field.partOf && (key === undefined || value[key] === null)) {
        this.fail(join(path, field.name), `required field ${field.name} of ${name} is missing`);
      }
      const minLen = options["(validate.rules).string.min_len"];
      if (typeof minLen === "number" && key !== undefined && typeof value[key] === "string") {
        if ((value[key] as string).length < minLen) {
          this.fail(join(path, key), `${field.name} must be at least ${minLen} characters`);
        }
      }
      const minItems = options["(validate.rules).repeated.min_items"];
      if (typeof minItems === "number" && minItems > 0) {
        const items = key === undefined ? undefined : value[key];
        if (!Array.isArray(items) || items.length < minItems) {
          this.fail(join(path, field.name), `${field.name} needs at least ${minItems} item(s)`);
        }
      }
    }
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter((member) => {
        const key = seen.get(member);
        return key !== undefined && value[key] !== null;
      });
      if (set.length > 1) {
        this.fail(
          path,
          `oneof ${oneof.name} of ${name} has ${set.map((member) => member.name).join(" and ")} set; at most one may be`,
        );
      }
      if (set.length === 0 && oneof.options?.["(validate.required)"] === true) {
        this.fail(path, `oneof ${oneof.name} of ${name} requires one of ${oneof.oneof.join(", ")}`);
      }
    }
  }

  private field(value: unknown, field: protobuf.Field, path: string): void {
    if (field instanceof protobuf.MapField) {
      if (!isPlainObject(value)) {
        this.fail(path, `expected an object (map) for ${field.name}, got ${describe(value)}`);
        return;
      }
      for (const [key, item] of Object.entries(value)) {
        const at = `${path}[${JSON.stringify(key)}]`;
        if (field.keyType !== "string" && field.keyType !== "bool") this.scalar(key, field.keyType, at, true);
        this.single(item, field, at);
      }
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) {
        this.fail(path, `${field.name} is repeated: expected an array, got ${describe(value)}`);
        return;
      }
      value.forEach((item, index) => {
        this.single(item, field, `${path}[${index}]`);
      });
      return;
    }
    if (Array.isArray(value)) {
      this.fail(path, `${field.name} is a single value, not a list`);
      return;
    }
    this.single(value, field, path);
  }

  private single(value: unknown, field: protobuf.Field, path: string): void {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) this.message(value, resolved, path);
    else if (resolved instanceof protobuf.Enum) this.enumValue(value, resolved, path);
    else this.scalar(value, field.type, path, false);
  }

  private enumValue(value: unknown, type: protobuf.Enum, path: string): void {
    const name = type.fullName.replace(/^\./, "");
    if (typeof value === "string") {
      if (!(value in type.values)) {
        this.fail(
          path,
          `${JSON.stringify(value)} is not a value of ${name} (${Object.keys(type.values).join(", ")})`,
        );
      }
    } else if (typeof value === "number") {
      if (!Object.values(type.values).includes(value)) this.fail(path, `${value} is not a number of ${name}`);
    } else {
      this.fail(path, `expected a ${name} name, got ${describe(value)}`);
    }
  }

  private scalar(value: unknown, kind: string, path: string, fromMapKey: boolean): void {
    const range = intRanges[kind];
    if (range) {
      const text = typeof value === "number" || typeof value === "string" ? String(value) : undefined;
      if (
        text === undefined ||
        !/^-?\d+$/.test(text) ||
        (typeof value === "string" && !fromMapKey && kind.endsWith("32"))
      ) {
        this.fail(path, `expected an integer (${kind}), got ${describe(value)}`);
        return;
      }
      const number = BigInt(text);
      if (number < range[0] || number > range[1]) this.fail(path, `${text} is out of range for ${kind}`);
      return;
    }
    switch (kind) {
      case "double":
      case "float":
        if (typeof value !== "number" && !["NaN", "Infinity", "-Infinity"].includes(String(value))) {
          this.fail(path, `expected a number (${kind}), got ${describe(value)}`);
        }
        return;
      case "bool":
        if (typeof value !== "boolean") this.fail(path, `expected true or false, got ${describe(value)}`);
        return;
      case "string":
        if (typeof value !== "string") this.fail(path, `expected a string, got ${describe(value)}`);
        return;
      case "bytes":
        if (typeof value !== "string" || !base64Pattern.test(value)) {
          this.fail(path, `expected base64 bytes, got ${describe(value)}`);
        }
        return;
      default:
        this.fail(path, `unsupported scalar type ${kind}`);
    }
  }

  /** The well-known types whose proto3 JSON form is not a plain object of their fields. */
  private wellKnown(value: unknown, name: string, path: string): boolean {
    const wrapped = wrapperScalar[name];
    if (wrapped) {
      this.scalar(value, wrapped, path, false);
      return true;
    }
    switch (name) {
      case "google.protobuf.Duration":
        if (typeof value !== "string" || !durationPattern.test(value)) {
          this.fail(path, `expected a duration such as "1.5s", got ${describe(value)}`);
        }
        return true;
      case "google.protobuf.Timestamp":
        if (typeof value !== "string" || !timestampPattern.test(value)) {
          this.fail(path, `expected an RFC 3339 timestamp, got ${describe(value)}`);
        }
        return true;
      case "google.protobuf.FieldMask":
        if (typeof value !== "string")
          this.fail(path, `expected a field mask string, got ${describe(value)}`);
        return true;
      case "google.protobuf.Struct":
        if (!isPlainObject(value)) this.fail(path, `expected an object (Struct), got ${describe(value)}`);
        return true;
      case "google.protobuf.ListValue":
        if (!Array.isArray(value)) this.fail(path, `expected an array (ListValue), got ${describe(value)}`);
        return true;
      case "google.protobuf.Value":
        return true;
      case "google.protobuf.Any":
        this.any(value, path);
        return true;
      default:
        return false;
    }
  }

  private any(value: unknown, path: string): void {
    if (!isPlainObject(value)) {
      this.fail(path, `expected an object with "@type" (Any), got ${describe(value)}`);
      return;
    }
    const typeUrl = value["@type"];
    const at = join(path, "@type");
    if (typeof typeUrl !== "string" || !typeUrl.startsWith(typeUrlPrefix)) {
      this.fail(at, `an Any needs "@type": "${typeUrlPrefix}<message>", got ${describe(typeUrl)}`);
      return;
    }
    const typeName = typeUrl.slice(typeUrlPrefix.length);
    const type = this.schema.findType(typeName);
    if (!type) {
      this.fail(at, `unknown type ${typeName}: not a message in Envoy's API protos`);
      return;
    }
    const { "@type": _, ...body } = value;
    const special = type.fullName.replace(/^\./, "");
    if (specialJson.has(special) || wrapperScalar[special]) {
      // Well-known types with their own JSON form carry it under "value" inside an Any.
      const extra = Object.keys(body).filter((key) => key !== "value");
      for (const key of extra) this.fail(join(path, key), `unknown field "${key}" in an Any of ${special}`);
      this.message(body.value, type, join(path, "value"));
      return;
    }
    this.message(body, type, path);
  }
}

/**
 * Checks a JSON document against a protobuf message type the way Envoy's strict loader would: unknown
 * fields (snake_case or lowerCamel accepted), deprecated fields, `Any` payloads by their `@type`,
 * enum names, durations, integer ranges, list vs single shape, oneofs and protoc-gen-validate's required
 * rules. Returns every problem, each with the path to the bad field.
 *
 * Why not just `Type.fromObject`: protobufjs silently drops unknown keys and does not look inside `Any`,
 * which is exactly where a typo in a sidecar config hides until Envoy refuses to start in production.
 */
export function checkProtoJson(schema: EnvoySchema, rootType: string, value: unknown): SchemaProblem[] {
  const type = schema.findType(rootType);
  if (!type) throw new Error(`${rootType} is not in Envoy's API protos`);
  const checker = new Checker(schema);
  checker.message(value, type, "");
  return checker.problems;
}
