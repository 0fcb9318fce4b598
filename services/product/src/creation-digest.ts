import { createHash } from "node:crypto";
import type { ProductInput } from "./store.js";

/**
 * What identifies a CreateProduct request for its idempotency key: SHA-256 (hex) of the validated
 * product, the fields the caller chooses as they are stored (name and description trimmed, price
 * as currency, units and nanos).
 *
 * Why a digest of the validated input: a repeat must match whatever whitespace or ignored fields
 * (`id`, timestamps) it came with, while any difference in what would be stored is another product,
 * refused instead of answered with the first one. Why not compare with the product row: an update
 * since the creation changes the row, not the request the key stood for.
 */
export function creationDigest(input: ProductInput): string {
  const fields = [input.name, input.description, input.currencyCode, input.units.toString(), input.nanos];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}
