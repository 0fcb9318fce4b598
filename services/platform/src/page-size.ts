import { invalidArgument } from "./invalid-argument.js";

/** The page size of every List RPC when the caller asks for none (0), and the most one page holds. */
export const pageSizeLimits = { default: 20, max: 100 } as const;

/**
 * The page size a List RPC serves for the requested `page_size`: 0 means the default, above the
 * maximum is capped, negative is InvalidArgument naming `page_size`.
 *
 * Why capping rather than refusing a large size: every List request's proto promises it, so a client asking
 * for 1000 gets pages of 100 and follows the page token. Why one function: each List RPC had its own
 * copy of these three rules and their numbers.
 */
export function resolvePageSize(requested: number): number {
  if (requested < 0) throw invalidArgument("page_size", "must not be negative");
  if (requested === 0) return pageSizeLimits.default;
  return Math.min(requested, pageSizeLimits.max);
}
