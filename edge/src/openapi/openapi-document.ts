import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { Route } from "../routes/route-table.js";
import { commentOf } from "./comments.js";
import {
  collectTypes,
  enumSchema,
  fieldSchema,
  fieldValueSchema,
  isRequired,
  isWellKnown,
  messageSchema,
  type Schema,
  schemaRef,
  typeSchema,
} from "./json-schema.js";
import { partialUpdateBodyField, partialUpdateBodySchema } from "./partial-update-body.js";

export type OpenApiDocument = { [key: string]: unknown };

export interface OpenApiOptions {
  readonly title?: string;
  readonly version?: string;
}

/**
 * Generates the OpenAPI 3.1 document of the REST surface from the route table: one operation per
 * route with path and query parameters, request body and response schemas in proto3 JSON shape, the
 * proto comments as descriptions, bearer security per the access rule, and the error body. Why from
 * the same table the gateway routes with: the published document cannot disagree with what is served.
 */
export function createOpenApiDocument(
  routes: readonly Route[],
  options: OpenApiOptions = {},
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const roots: DescMessage[] = [];
  const tags = new Map<string, string | undefined>();
  const pathOfShape = new Map<string, string>();
  for (const route of routes) {
    roots.push(route.method.input, route.method.output);
    tags.set(route.service.name, commentOf(route.service));
    const { path, parameters } = sharePathWithSameShape(openApiPath(route), pathOfShape);
    paths[path] ??= {};
    paths[path][route.httpMethod.toLowerCase()] = operation(route, parameters);
  }
  const schemas: Record<string, Schema> = {};
  for (const [name, type] of [...collectTypes(roots)].sort(([a], [b]) => a.localeCompare(b))) {
    schemas[name] = type.kind === "enum" ? enumSchema(type) : messageSchema(type);
  }
  schemas.Error = {
    type: "object",
    description: "Every error response. `code` is the gRPC status code in snake case.",
    properties: {
      code: {
        type: "string",
        examples: ["not_found"],
        description: "e.g. invalid_argument, unauthenticated, not_found",
      },
      message: { type: "string", description: "What went wrong, for humans." },
      requestId: { type: "string", description: "The request id, also in the `X-Request-Id` header." },
    },
    required: ["code", "message", "requestId"],
  };
  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? "Shop mesh API",
      version: options.version ?? "v1",
      description:
        "The public REST/JSON API of Shop mesh, transcoded to gRPC by the edge gateway. Bodies are proto3 JSON " +
        "(camelCase; 64-bit integers as strings; enums by name). Generated from the protobuf contracts.",
    },
    servers: [{ url: "/" }],
    tags: [...tags]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, description]) => ({
        name,
        ...(description ? { description } : {}),
      })),
    paths,
    components: {
      schemas,
      responses: {
        Error: {
          description: "An error, with the HTTP status of its gRPC code.",
          content: { "application/json": { schema: schemaRef("Error") } },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "The `accessToken` from POST /v1/auth/login.",
        },
      },
    },
  };
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description?: string;
  schema: Schema;
}

function openApiPath(route: Route): { path: string; parameters: Parameter[] } {
  const { segments, variables, verb } = route.template;
  const parts: string[] = [];
  const parameters: Parameter[] = [];
  let anonymous = 0;
  for (let i = 0; i < segments.length; ) {
    const variable = variables.find((v) => v.start === i);
    if (variable) {
      const name = variable.field;
      parts.push(`{${name}}`);
      const field = leafField(route.method.input, variable.fieldPath);
      parameters.push({
        name,
        in: "path",
        required: true,
        ...describe(field),
        schema: fieldValueSchema(field),
      });
      i = variable.end ?? segments.length;
      continue;
    }
    const segment = segments[i]!;
    if (segment.kind === "literal") {
      parts.push(segment.value);
    } else {
      const name = `wildcard${++anonymous}`;
      parts.push(`{${name}}`);
      parameters.push({ name, in: "path", required: true, schema: { type: "string" } });
    }
    i++;
  }
  return { path: `/${parts.join("/")}${verb === undefined ? "" : `:${verb}`}`, parameters };
}

/** `/v1/products/{product.id}` → `/v1/products/{}`: what OpenAPI compares paths by. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}

/**
 * OpenAPI forbids two templated paths that differ only in their parameter names, but two rules of
 * the protos may bind the same position to differently named fields (`GET /v1/products/{id}` and
 * `PATCH /v1/products/{product.id}`). The later route joins the first one's path; its parameters
 * take that path's names, and their descriptions say which request field they set.
 */
function sharePathWithSameShape(
  own: { path: string; parameters: Parameter[] },
  pathOfShape: Map<string, string>,
): { path: string; parameters: Parameter[] } {
  const shape = pathShape(own.path);
  const shared = pathOfShape.get(shape);
  if (shared === undefined) {
    pathOfShape.set(shape, own.path);
    return own;
  }
  if (shared === own.path) return own;
  const namesIn = (path: string) => [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] as string);
  const sharedNames = namesIn(shared);
  const renamed = new Map(namesIn(own.path).map((name, i) => [name, sharedNames[i] as string]));
  const parameters = own.parameters.map((parameter) => {
    const name = parameter.in === "path" ? renamed.get(parameter.name) : undefined;
    if (name === undefined || name === parameter.name) return parameter;
    const note = `Sets \`${parameter.name}\` of the request.`;
    return {
      ...parameter,
      name,
      description: parameter.description ? `${note} ${parameter.description}` : note,
    };
  });
  return { path: shared, parameters };
}

function leafField(message: DescMessage, fieldPath: readonly string[]): DescField {
  let current = message;
  let field: DescField | undefined;
  for (const name of fieldPath) {
    field = current.fields.find((f) => f.name === name)!;
    if (field.message) current = field.message;
  }
  return field!;
}

function describe(field: DescField): { description?: string } {
  const description = commentOf(field);
  return description ? { description } : {};
}

/** Query parameters: every field not bound by the path or the body, nested messages flattened with dots. */
function queryParameters(route: Route): Parameter[] {
  if (route.body === "*") return [];
  const bound = new Set(route.template.variables.map((v) => v.field));
  const out: Parameter[] = [];
  const walk = (
    message: DescMessage,
    protoPrefix: string,
    jsonPrefix: string,
    depth: number,
    seen: Set<string>,
  ) => {
    for (const field of message.fields) {
      const protoPath = `${protoPrefix}${field.name}`;
      if (bound.has(protoPath) || (depth === 0 && field.name === route.body) || field.fieldKind === "map")
        continue;
      if (depth === 0 && field === route.idempotencyKey) continue; // a header (headerParameters)
      const name = `${jsonPrefix}${field.jsonName}`;
      const nested = field.fieldKind === "message" && !isWellKnown(field.message);
      if (nested) {
        if (depth < 3 && !seen.has(field.message.typeName)) {
          walk(
            field.message,
            `${protoPath}.`,
            `${name}.`,
            depth + 1,
            new Set([...seen, field.message.typeName]),
          );
        }
        continue;
      }
      if (field.fieldKind === "list" && field.listKind === "message" && !isWellKnown(field.message)) continue;
      out.push({ name, in: "query", required: false, ...describe(field), schema: fieldValueSchema(field) });
    }
  };
  walk(route.method.input, "", "", 0, new Set([route.method.input.typeName]));
  return out;
}

/**
 * The `Idempotency-Key` header of a method whose request has `idempotency_key`: the edge fills that
 * field from the header, so the field is documented as the header, never as a body or query field.
 */
function headerParameters(route: Route): Parameter[] {
  const field = route.idempotencyKey;
  if (!field) return [];
  return [
    {
      name: "Idempotency-Key",
      in: "header",
      required: isRequired(field),
      ...describe(field),
      schema: { type: "string" },
    },
  ];
}

function requestBody(route: Route): Schema | undefined {
  if (route.body === "") return undefined;
  let schema: Schema;
  if (route.body === "*") {
    // Left out of the body: fields the path sets, and idempotency_key (the Idempotency-Key header).
    const elsewhere = new Set([
      ...route.template.variables.filter((v) => v.fieldPath.length === 1).map((v) => v.fieldPath[0]!),
      ...(route.idempotencyKey ? [route.idempotencyKey.name] : []),
    ]);
    schema =
      elsewhere.size > 0
        ? messageSchema(route.method.input, elsewhere)
        : schemaRef(route.method.input.typeName);
  } else {
    const resource = partialUpdateBodyField(route);
    schema = resource
      ? partialUpdateBodySchema(resource)
      : fieldSchema(route.method.input.fields.find((f) => f.name === route.body)!);
  }
  // Required only when the edge refuses the call without one: some REQUIRED field must come in it.
  // `POST /v1/orders/{id}:cancel` takes `{}` or nothing, and said `required: true` until 2026-12-04.
  return { required: route.requiredBodyFields.length > 0, content: { "application/json": { schema } } };
}

function responseSchema(route: Route): Schema {
  if (route.responseBody === "") return typeSchema(route.method.output);
  return fieldValueSchema(route.method.output.fields.find((f) => f.name === route.responseBody)!);
}

function operation(route: Route, pathParameters: Parameter[]): Record<string, unknown> {
  const comment = commentOf(route.method);
  const summary = comment ? /^(.+?)\.(\s|$)/s.exec(comment.replace(/\s+/g, " "))?.[1] : undefined;
  const { access } = route;
  const error = { $ref: "#/components/responses/Error" };
  const responses: Record<string, unknown> = {
    "200": { description: "OK", content: { "application/json": { schema: responseSchema(route) } } },
    "400": error,
  };
  if (access.kind !== "public") responses["401"] = error;
  if (access.roles.length > 0) responses["403"] = error;
  responses["429"] = error;
  responses["503"] = error;
  responses.default = error;
  const roles = access.roles.length > 0 ? `\n\nRequires the role(s): ${access.roles.join(", ")}.` : "";
  const auth = access.kind === "public" ? "\n\nPublic: no token needed." : roles;
  const body = requestBody(route);
  return {
    operationId: `${route.service.name}_${route.method.name}`,
    tags: [route.service.name],
    ...(summary ? { summary } : {}),
    description: `${comment ?? route.method.name}${auth}`,
    parameters: [...pathParameters, ...queryParameters(route), ...headerParameters(route)],
    ...(body ? { requestBody: body } : {}),
    responses,
    ...(access.kind === "public" ? { security: [] } : { security: [{ bearerAuth: [] }] }),
    ...(access.roles.length > 0 ? { "x-required-roles": [...access.roles] } : {}),
  };
}
