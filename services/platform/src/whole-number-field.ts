import { invalidArgument } from "./invalid-argument.js";

/**
 * A whole-number field (a quantity, a stock count) within `min` to `max` inclusive, returned as is;
 * throws InvalidArgument naming `field` otherwise.
 *
 * Why shared: the bounds are each field's contract (cart quantity 1 to 99, stock 0 to 1,000,000), but
 * the check and its message were copied into every service that takes a count. The integer check stays
 * because a handler is a plain function: an in-process caller or a test can pass any JS number.
 */
export function requireWholeNumber(
  field: string,
  value: number,
  bounds: { readonly min: number; readonly max: number },
): number {
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw invalidArgument(field, `must be a whole number from ${bounds.min} to ${bounds.max}`);
  }
  return value;
}
