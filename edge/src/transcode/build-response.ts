import { type DescMessage, type JsonValue, type Message, type Registry, toJson } from "@bufbuild/protobuf";
import type { Route } from "../routes/route-table.js";

/**
 * The REST response body of a route: proto3 JSON (camelCase) of the response message, or of its
 * `response_body` field. Implicit fields are always emitted, so `{stock: {available: 0}}` says 0
 * instead of leaving the client to know proto3's defaults; unset message fields stay absent.
 */
export function buildResponseJson(route: Route, message: Message, registry: Registry): JsonValue {
  const json = toJson(route.method.output as DescMessage, message, { registry, alwaysEmitImplicit: true });
  if (route.responseBody === "") return json;
  const field = route.method.output.fields.find((f) => f.name === route.responseBody)!;
  const value = (json as { [key: string]: JsonValue })[field.jsonName];
  return value === undefined ? null : value;
}
