import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeOf } from "./rpc-code.js";

/** How hard a client retries. Attempts include the first call: `maxAttempts: 1` disables retries. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 25, maxDelayMs: 1000 };

/**
 * Codes after which the same request may succeed if sent again: the server was unreachable or
 * shedding load (Unavailable), or a concurrency conflict aborted it (Aborted). ResourceExhausted is
 * not here: Connect also raises it for oversized messages, which no retry fixes, and a rate-limited
 * caller should back off, not push harder. DeadlineExceeded is not here: the budget is spent.
 */
export const retryableCodes: ReadonlySet<Code> = new Set([Code.Unavailable, Code.Aborted]);

/**
 * Whether a failed call may be sent again. Only unary methods whose proto declares
 * `idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT` qualify: resending a request that has side
 * effects (PlaceOrder, Charge) could do it twice, and a streamed request cannot be replayed.
 */
export function isRetryable(method: DescMethod, error: unknown): boolean {
  return (
    method.methodKind === "unary" &&
    (method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
      method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT) &&
    retryableCodes.has(codeOf(error))
  );
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^(retry-1))).
 * Full jitter spreads a crowd of clients that failed together, so they do not return together.
 * `retry` counts from 1 (the delay before the second attempt).
 */
export function backoffDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  readonly method: DescMethod;
  readonly policy: RetryPolicy;
  /** Epoch milliseconds after which no attempt starts and no backoff sleeps. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
  readonly random?: () => number;
  /** Called before each retry; used for logging. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Runs `attempt` until it succeeds, the error is not retryable, attempts run out, or the next
 * backoff would end past the deadline; then rethrows the last error. `attempt` receives its number
 * (from 1) and the milliseconds left, which become that attempt's own deadline on the wire.
 */
export function withRetry<T>(
  attempt: (attemptNumber: number, remainingMs: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  // The first attempt outside any async frame: it is nearly always the only one, and an async loop
  // around it added a promise and a turn of the microtask queue to every upstream call.
  let first: Promise<T>;
  try {
    first = attempt(1, Math.max(1, options.deadline - Date.now()));
  } catch (error) {
    first = Promise.reject(error);
  }
  return first.catch((error: unknown) => retryAfter(error, attempt, options));
}

/** The attempts after the first failed with `firstError`, as `withRetry` describes. */
async function retryAfter<T>(
  firstError: unknown,
  attempt: (attemptNumber: number, remainingMs: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, deadline } = options;
  let error = firstError;
  for (let n = 1; ; n++) {
    if (n >= policy.maxAttempts || !isRetryable(options.method, error)) throw error;
    const delayMs = backoffDelayMs(n, policy, options.random);
    // Leave the next attempt at least a little time, or it is a guaranteed DeadlineExceeded.
    if (Date.now() + delayMs + 1 >= deadline) throw error;
    options.onRetry?.({ attempt: n + 1, delayMs, error });
    await sleep(delayMs, options.signal, error);
    try {
      return await attempt(n + 1, Math.max(1, deadline - Date.now()));
    } catch (next) {
      error = next;
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, lastError: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(
        new ConnectError(
          "call canceled while waiting to retry",
          Code.Canceled,
          undefined,
          undefined,
          lastError,
        ),
      );
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(
        new ConnectError(
          "call canceled while waiting to retry",
          Code.Canceled,
          undefined,
          undefined,
          lastError,
        ),
      );
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
