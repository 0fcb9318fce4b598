import {
  create,
  type DescField,
  type DescMessage,
  type JsonValue,
  type Message,
  mergeFromJson,
  type Registry,
} from "@bufbuild/protobuf";
import type { PathBindings } from "../routes/path-template.js";
import type { Route } from "../routes/route-table.js";
import { badRequest } from "./bad-request.js";
import { normalizeRequestJson } from "./normalize-json.js";
import { checkRequiredBodyFields } from "./required-fields.js";
import { findField, type JsonObject, resolveFieldPath, setTextField } from "./text-fields.js";

export interface RestRequestParts {
  readonly bindings: PathBindings;
  readonly query: URLSearchParams;
  /** The parsed JSON body, or undefined when the request had none. */
  readonly body: JsonValue | undefined;
  /** The `Idempotency-Key` header, copied into a request field named `idempotency_key`. */
  readonly idempotencyKey?: string | undefined;
}

/**
 * Builds the gRPC request message of a route from the REST request, per the `google.api.http`
 * rules: the body (`*` = the whole message, or one field), then query parameters for the fields not
 * bound by path or body (nested `a.b=1`, repeated `x=1&x=2`), then path variables, which win over
 * the body. Every caller mistake — an unknown field, a wrong type, a malformed value, a REQUIRED
 * field the body leaves out or nulls — is an InvalidArgument naming the field, never an internal error.
 */
export function buildRequestMessage(route: Route, parts: RestRequestParts, registry: Registry): Message {
  const schema = route.method.input;
  const message = create(schema);

  if (route.body === "") {
    if (parts.body !== undefined) throw badRequest("this route takes no request body");
  } else if (parts.body !== undefined) {
    const json = route.body === "*" ? parts.body : { [findField(schema, route.body)!.jsonName]: parts.body };
    if (route.body === "*" && (typeof json !== "object" || json === null || Array.isArray(json))) {
      throw badRequest("request body must be a JSON object");
    }
    merge(schema, message, normalizeRequestJson(schema, json), registry, "request body");
  }

  if (parts.query.size > 0) {
    const pathBound = new Set(parts.bindings.keys());
    const queryKeys = [...new Set(parts.query.keys())];
    if (route.body === "*") {
      throw badRequest(
        `query parameter "${queryKeys[0]}" is not accepted here: send every field in the JSON body`,
      );
    }
    const json: JsonObject = {};
    // Proto path -> the query key that set it. Why: `pageSize` and `page_size` name one field, and
    // setting it under both spellings slipped past the "not repeated" check (the last value won).
    const keyOfPath = new Map<string, string>();
    for (const key of queryKeys) {
      const fields = fieldsOfPath(schema, key, "query parameter");
      const protoPath = fields.map((f) => f.name).join(".");
      const earlier = keyOfPath.get(protoPath);
      if (earlier !== undefined)
        throw badRequest(`query parameters "${earlier}" and "${key}" set the same field: send one`);
      keyOfPath.set(protoPath, key);
      if (pathBound.has(protoPath))
        throw badRequest(`query parameter "${key}" is already set by the URL path`);
      if (route.body !== "" && fields[0]!.name === route.body) {
        throw badRequest(`query parameter "${key}" is already set by the request body`);
      }
      setTextField(json, fields, parts.query.getAll(key), "query parameter");
    }
    merge(schema, message, json, registry, "query parameters");
  }
  checkRequiredBodyFields(route.requiredBodyFields, route.body, parts.body);

  if (parts.bindings.size > 0) {
    const json: JsonObject = {};
    for (const [path, value] of parts.bindings) {
      setTextField(json, fieldsOfPath(schema, path, "path variable"), [value], "path variable");
    }
    merge(schema, message, json, registry, "URL path");
  }

  const field = route.idempotencyKey;
  if (parts.idempotencyKey !== undefined && field) {
    merge(schema, message, { [field.jsonName]: parts.idempotencyKey }, registry, "Idempotency-Key header");
  }
  return message;
}

/** Field paths resolved so far, per message: a route's path variables are resolved on every request. */
const resolvedPaths = new WeakMap<DescMessage, Map<string, readonly DescField[]>>();

/**
 * `resolveFieldPath` of a dotted path, remembered once it resolves. Only paths that name fields are
 * kept, so what callers can make it hold is bounded by the contracts, whatever query keys they send.
 */
function fieldsOfPath(schema: DescMessage, path: string, what: string): readonly DescField[] {
  let paths = resolvedPaths.get(schema);
  if (!paths) {
    paths = new Map();
    resolvedPaths.set(schema, paths);
  }
  let fields = paths.get(path);
  if (!fields) {
    fields = resolveFieldPath(schema, path.split("."), what);
    paths.set(path, fields);
  }
  return fields;
}

function merge(
  schema: DescMessage,
  target: Message,
  json: JsonValue,
  registry: Registry,
  where: string,
): void {
  try {
    mergeFromJson(schema, target, json, { registry, ignoreUnknownFields: false });
  } catch (error) {
    throw badRequest(`invalid ${where}: ${describeJsonError(error)}`, error);
  }
}

/** Makes protobuf-es' JSON errors read as REST errors: names the field, drops the decoder jargon. */
function describeJsonError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^cannot decode (message |field )?/, "");
}
