import type { DescField } from "@bufbuild/protobuf";
import type { Route } from "../routes/route-table.js";
import { commentOf } from "./comments.js";
import { isWellKnown, messageSchema, type Schema } from "./json-schema.js";

const fieldMaskType = "google.protobuf.FieldMask";

/** A singular message field of a request: the resource an update sends. */
export type ResourceField = Extract<DescField, { fieldKind: "message" }>;

/**
 * The body field of a field-mask update, or undefined when the route is not one. A route is one when
 * its body is a single message field of the request (`body: "product"`) and the request also has a
 * `google.protobuf.FieldMask` field (`update_mask`), the AIP-134 shape of an update. Why from the
 * descriptors and not a list of methods: any update added to the protos is documented right without
 * touching the generator.
 */
export function partialUpdateBodyField(route: Route): ResourceField | undefined {
  if (route.body === "" || route.body === "*") return undefined;
  const input = route.method.input;
  const hasMask = input.fields.some((f) => f.fieldKind === "message" && f.message.typeName === fieldMaskType);
  if (!hasMask) return undefined;
  const body = input.fields.find((f) => f.name === route.body);
  if (body?.fieldKind !== "message" || isWellKnown(body.message)) return undefined;
  return body;
}

/**
 * The body schema of a field-mask update: the resource's properties without its `required` list.
 * Why: the resource's REQUIRED fields (a Product's name and price) are required of the resource as
 * a whole, as on create, but an update reads only the fields its mask names, so a client must be
 * free to send `{"price": …}` with `?updateMask=price`; the `$ref` to the resource schema would make
 * generated clients demand every REQUIRED field on each PATCH. Only the top level is relaxed: a mask
 * path like `price` replaces the whole nested message, whose own REQUIRED fields still hold, so
 * nested messages keep their `$ref`. OUTPUT_ONLY fields stay `readOnly` as in the resource schema.
 * Inline rather than a component of its own, like the other bodies that differ from a message.
 */
export function partialUpdateBodySchema(field: ResourceField): Schema {
  const {
    required: _wholeResourceOnly,
    description: _resourceComment,
    ...schema
  } = messageSchema(field.message);
  const note =
    `A partial \`${field.message.name}\`: only the fields named in the field mask are read ` +
    "(without one, those set to a non-default value), so no field is required here.";
  const comment = commentOf(field);
  return { ...schema, description: comment ? `${comment}\n\n${note}` : note };
}
