import { type DescField, type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@shop/gen/google/api/annotations_pb";
import type { HttpRule } from "@shop/gen/google/api/http_pb";
import { type AccessPolicy, accessPolicyOf } from "@shop/platform/auth/access-rule";
import { idempotencyKeyFieldOf, requiredBodyFields } from "../transcode/required-fields.js";
import {
  compareSpecificity,
  matchRequestPath,
  type PathBindings,
  type PathTemplate,
  parsePathTemplate,
  RequestPath,
} from "./path-template.js";

/** One REST binding of one RPC. */
export interface Route {
  /** Upper-case HTTP method, e.g. `GET`. */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly service: DescService;
  readonly method: DescMethod;
  /** `""` (no body), `"*"` (the whole request) or a top-level request field name. */
  readonly body: string;
  /** `""` (the whole response) or a top-level response field name. */
  readonly responseBody: string;
  /** Who may call it, from the method's `shop.common.v1.access` option (no option = any signed-in user). */
  readonly access: AccessPolicy;
  /** REQUIRED request fields the JSON body must supply (see `requiredBodyFields`). */
  readonly requiredBodyFields: readonly DescField[];
  /** The request's `idempotency_key` field, filled from the `Idempotency-Key` header; none without one. */
  readonly idempotencyKey: DescField | undefined;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly bindings: PathBindings }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" }
  /** A segment of the path is not valid percent-encoded UTF-8: the caller's mistake, not a missing route. */
  | { readonly kind: "malformed-path" };

export interface RouteTable {
  readonly routes: readonly Route[];
  /**
   * HEAD finds the GET route of the path; a 405's `allowed` lists HEAD wherever GET is. A path that
   * is not valid percent-encoding is `malformed-path`, whatever routes exist.
   */
  match(httpMethod: string, path: string): RouteMatch;
}

/** Thrown when the contracts declare a route the edge cannot serve; the edge refuses to start. */
export class RouteTableError extends Error {
  override readonly name = "RouteTableError";
}

/**
 * Builds the REST route table from the `google.api.http` options of the given services (additional
 * bindings included). Only unary RPCs are routed; `internal` methods never are, even if a rule slips
 * into their proto. Why from descriptors: the contract is the single source of truth for the REST
 * surface, so it cannot drift from what the services implement.
 */
export function createRouteTable(services: readonly DescService[]): RouteTable {
  const routes: Route[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const policy = accessPolicyOf(method);
      if (policy.kind === "internal") continue;
      if (method.methodKind !== "unary") {
        throw new RouteTableError(
          `${method.parent.typeName}.${method.name}: only unary methods can have HTTP rules`,
        );
      }
      const top = getOption(method, http);
      for (const binding of [top, ...top.additionalBindings]) {
        routes.push(createRoute(service, method, binding, policy));
      }
    }
  }
  routes.sort((a, b) => compareSpecificity(a.template, b.template));
  for (const [i, a] of routes.entries()) {
    for (const b of routes.slice(i + 1)) {
      if (a.httpMethod === b.httpMethod && a.template.source === b.template.source) {
        throw new RouteTableError(
          `${a.httpMethod} ${a.template.source} is bound by both ${a.method.name} and ${b.method.name}`,
        );
      }
    }
  }
  return {
    routes,
    match(httpMethod, path) {
      const requestPath = RequestPath.parse(path);
      if (!requestPath) return { kind: "not-found" };
      // Only a path with a "%" can fail to decode; its segments are decoded once, here, for all routes.
      if (path.includes("%") && !requestPath.isDecodable()) return { kind: "malformed-path" };
      // HEAD is GET without the response body (RFC 9110 §9.3.2), so the GET route serves it.
      const wanted = httpMethod === "HEAD" ? "GET" : httpMethod;
      let allowed: Set<string> | undefined;
      for (const route of routes) {
        const bindings = matchRequestPath(route.template, requestPath);
        if (!bindings) continue;
        if (route.httpMethod === wanted) return { kind: "found", route, bindings };
        allowed ??= new Set();
        allowed.add(route.httpMethod);
      }
      if (!allowed) return { kind: "not-found" };
      if (allowed.has("GET")) allowed.add("HEAD");
      return { kind: "method-not-allowed", allowed: [...allowed].sort() };
    },
  };
}

function createRoute(service: DescService, method: DescMethod, rule: HttpRule, policy: AccessPolicy): Route {
  const where = `${service.typeName}.${method.name}`;
  const { pattern } = rule;
  if (pattern.case === undefined) throw new RouteTableError(`${where}: HTTP rule without a path`);
  const httpMethod =
    pattern.case === "custom" ? pattern.value.kind.toUpperCase() : pattern.case.toUpperCase();
  const path = pattern.case === "custom" ? pattern.value.path : pattern.value;
  let template: PathTemplate;
  try {
    template = parsePathTemplate(path);
  } catch (error) {
    throw new RouteTableError(`${where}: ${(error as Error).message}`);
  }
  for (const variable of template.variables) {
    checkFieldPath(method, variable.fieldPath, where);
  }
  if (rule.body !== "" && rule.body !== "*" && !method.input.fields.some((f) => f.name === rule.body)) {
    throw new RouteTableError(
      `${where}: body field "${rule.body}" is not a field of ${method.input.typeName}`,
    );
  }
  if (rule.responseBody !== "" && !method.output.fields.some((f) => f.name === rule.responseBody)) {
    throw new RouteTableError(
      `${where}: response_body "${rule.responseBody}" is not a field of ${method.output.typeName}`,
    );
  }
  return {
    httpMethod,
    template,
    service,
    method,
    body: rule.body,
    responseBody: rule.responseBody,
    access: policy,
    requiredBodyFields: requiredBodyFields(method, rule.body, template),
    idempotencyKey: idempotencyKeyFieldOf(method),
  };
}

function checkFieldPath(method: DescMethod, fieldPath: readonly string[], where: string): void {
  let message = method.input;
  for (const [i, name] of fieldPath.entries()) {
    const field = message.fields.find((f) => f.name === name);
    if (!field) throw new RouteTableError(`${where}: path variable "${fieldPath.join(".")}" names no field`);
    const last = i === fieldPath.length - 1;
    if (last) {
      if (field.fieldKind !== "scalar" && field.fieldKind !== "enum") {
        throw new RouteTableError(
          `${where}: path variable "${fieldPath.join(".")}" must be a scalar or enum field`,
        );
      }
    } else if (field.fieldKind !== "message") {
      throw new RouteTableError(`${where}: "${name}" in "${fieldPath.join(".")}" is not a message field`);
    } else {
      message = field.message;
    }
  }
}
