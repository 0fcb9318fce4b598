/**
 * The `google.api.http` path template grammar:
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     FieldPath = IDENT { "." IDENT } ;
 *     Verb     = ":" LITERAL ;
 */

/** One segment of a compiled template: a fixed literal, `*` (one segment) or `**` (the rest). */
export type TemplateSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "deep" };

/** A variable binds the segments [start, end) to a (possibly nested) request field. */
export interface TemplateVariable {
  /** Field path as written in the proto, e.g. `["product", "id"]`. */
  readonly fieldPath: readonly string[];
  /** `fieldPath` joined with dots (`product.id`): the key of the variable's binding. */
  readonly field: string;
  readonly start: number;
  /** Exclusive; `undefined` when the variable ends in `**` and takes every remaining segment. */
  readonly end: number | undefined;
}

export interface PathTemplate {
  /** The template as written in the proto, e.g. `/v1/orders/{id}:cancel`. */
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly variables: readonly TemplateVariable[];
  readonly verb: string | undefined;
}

/** Thrown for a template that does not follow the grammar: a contract bug, reported at start-up. */
export class PathTemplateError extends Error {
  override readonly name = "PathTemplateError";
}

const identPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a `google.api.http` path template once at start-up into segments and variables.
 * Why our own parser: the edge routes from descriptors at runtime, and a malformed template must
 * fail loudly when the edge starts, not silently never match.
 */
export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith("/")) throw new PathTemplateError(`path template "${source}" must start with "/"`);
  let body = source.slice(1);
  let verb: string | undefined;
  // The verb is a ":" after the last "/" and outside any variable.
  const lastSlash = body.lastIndexOf("/");
  const lastClose = body.lastIndexOf("}");
  const colon = body.lastIndexOf(":");
  if (colon > lastSlash && colon > lastClose) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (verb === "" || verb.includes("/"))
      throw new PathTemplateError(`path template "${source}": empty verb`);
  }
  const segments: TemplateSegment[] = [];
  const variables: TemplateVariable[] = [];
  let index = 0;
  const parts = splitTopLevel(body, source);
  for (const part of parts) {
    if (part.startsWith("{")) {
      if (!part.endsWith("}")) throw new PathTemplateError(`path template "${source}": unclosed variable`);
      const inner = part.slice(1, -1);
      const eq = inner.indexOf("=");
      const fieldText = eq === -1 ? inner : inner.slice(0, eq);
      const fieldPath = fieldText.split(".");
      if (!fieldPath.every((name) => identPattern.test(name))) {
        throw new PathTemplateError(`path template "${source}": bad field path "${fieldText}"`);
      }
      const start = index;
      const sub = eq === -1 ? ["*"] : inner.slice(eq + 1).split("/");
      for (const s of sub) {
        if (s.includes("{") || s.includes("}")) {
          throw new PathTemplateError(`path template "${source}": nested variables are not allowed`);
        }
        segments.push(plainSegment(s, source));
        index++;
      }
      const deep = segments[segments.length - 1]?.kind === "deep";
      variables.push({ fieldPath, field: fieldText, start, end: deep ? undefined : index });
    } else {
      segments.push(plainSegment(part, source));
      index++;
    }
  }
  const deepAt = segments.findIndex((s) => s.kind === "deep");
  if (deepAt !== -1 && deepAt !== segments.length - 1) {
    throw new PathTemplateError(`path template "${source}": "**" must be the last segment`);
  }
  const seen = new Set<string>();
  for (const v of variables) {
    const key = v.field;
    if (seen.has(key)) throw new PathTemplateError(`path template "${source}": "${key}" bound twice`);
    seen.add(key);
  }
  return { source, segments, variables, verb };
}

function splitTopLevel(body: string, source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of body) {
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    if (depth < 0 || depth > 1) throw new PathTemplateError(`path template "${source}": unbalanced braces`);
    if (ch === "/" && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw new PathTemplateError(`path template "${source}": unbalanced braces`);
  parts.push(current);
  return parts;
}

function plainSegment(text: string, source: string): TemplateSegment {
  if (text === "*") return { kind: "wildcard" };
  if (text === "**") return { kind: "deep" };
  if (text === "" || /[{}*:]/.test(text)) {
    throw new PathTemplateError(`path template "${source}": bad segment "${text}"`);
  }
  return { kind: "literal", value: text };
}

/** Variable values of a matched path, keyed by dotted field path (`product.id`), percent-decoded. */
export type PathBindings = ReadonlyMap<string, string>;

/**
 * Matches a request path (without the query string) against a template; returns the variable
 * bindings or undefined. A segment that is not valid percent-encoding never matches.
 */
export function matchPathTemplate(template: PathTemplate, path: string): PathBindings | undefined {
  const requestPath = RequestPath.parse(path);
  return requestPath && matchRequestPath(template, requestPath);
}

const notDecodable = Symbol("not valid percent-encoding");

/**
 * A request path split into its segments once, each segment percent-decoded at most once.
 * Why: the route table tries every template in turn; splitting and decoding the path again for
 * each one was about 6 % of what the edge allocated per request.
 */
export class RequestPath {
  private readonly decoded: (string | typeof notDecodable | undefined)[];

  private constructor(readonly segments: readonly string[]) {
    this.decoded = new Array(segments.length);
  }

  /** Undefined for a path that does not start with "/". */
  static parse(path: string): RequestPath | undefined {
    return path.startsWith("/") ? new RequestPath(path.slice(1).split("/")) : undefined;
  }

  /** False when some segment is not valid percent-encoded UTF-8 (`%FF`, `%E0%A4%A`). */
  isDecodable(): boolean {
    for (let i = 0; i < this.segments.length; i++) if (this.decodedAt(i) === undefined) return false;
    return true;
  }

  /** Segment `index` percent-decoded; undefined if it is not valid percent-encoding. */
  decodedAt(index: number): string | undefined {
    let value = this.decoded[index];
    if (value === undefined) {
      value = safeDecode(this.segments[index] as string) ?? notDecodable;
      this.decoded[index] = value;
    }
    return value === notDecodable ? undefined : value;
  }
}

/** `matchPathTemplate` on an already split path (see `RequestPath`). */
export function matchRequestPath(template: PathTemplate, path: RequestPath): PathBindings | undefined {
  const count = path.segments.length;
  // With a verb, the last segment ends in `:verb`; what comes before it, decoded, is its value.
  let lastValue: string | undefined;
  if (template.verb !== undefined) {
    const last = path.segments[count - 1] as string;
    const suffix = `:${template.verb}`;
    if (!last.endsWith(suffix)) return undefined;
    lastValue = safeDecode(last.slice(0, -suffix.length));
    if (lastValue === undefined) return undefined;
  }
  const { segments } = template;
  const deep = segments[segments.length - 1]?.kind === "deep";
  if (deep ? count < segments.length - 1 : count !== segments.length) return undefined;
  for (let i = 0; i < count; i++) {
    const value = segmentValue(path, i, lastValue);
    if (value === undefined) return undefined;
    const segment = segments[i];
    if (!segment || segment.kind === "deep") continue;
    if (segment.kind === "literal" ? value !== segment.value : value === "") return undefined;
  }
  const bindings = new Map<string, string>();
  for (const v of template.variables) {
    const end = v.end ?? count;
    if (end === v.start + 1) {
      bindings.set(v.field, segmentValue(path, v.start, lastValue) as string);
      continue;
    }
    const values: string[] = [];
    for (let i = v.start; i < end; i++) values.push(segmentValue(path, i, lastValue) as string);
    bindings.set(v.field, values.join("/"));
  }
  return bindings;
}

/** Segment `index` decoded, the last one replaced by `lastValue` when the template strips a verb. */
function segmentValue(path: RequestPath, index: number, lastValue: string | undefined): string | undefined {
  return lastValue !== undefined && index === path.segments.length - 1 ? lastValue : path.decodedAt(index);
}

function safeDecode(text: string): string | undefined {
  // Without a "%" there is nothing to decode (and nothing to fail): most segments of most paths.
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const rank = { literal: 3, wildcard: 2, deep: 1 } as const;

/**
 * Orders two templates that match the same path: negative when `a` is more specific. Literals beat
 * `*`, which beats `**`, segment by segment from the left; then a verb beats none; then the longer
 * template wins. So `/v1/products/search` is preferred over `/v1/products/{id}`.
 */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const diff = rank[b.segments[i]!.kind] - rank[a.segments[i]!.kind];
    if (diff !== 0) return diff;
  }
  if ((a.verb === undefined) !== (b.verb === undefined)) return a.verb === undefined ? 1 : -1;
  return b.segments.length - a.segments.length;
}
