import type { Logger } from "@shop/platform/log";
import { type RepeatingTask, repeatAfterSettled } from "@shop/platform/repeat-after-settled";
import { backoffDelayMs, type RetryPolicy } from "@shop/platform/retry";
import type { CardProvider } from "./card-provider.js";
import type { OwedRefundAttempt, OwedRefundStore } from "./owed-refund-store.js";

/** The backoff between attempts at one owed refund: capped exponential, with full jitter. */
export type OwedRefundBackoff = Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">;

export interface OwedRefundWorkerOptions {
  readonly store: OwedRefundStore;
  readonly provider: CardProvider;
  readonly logger: Logger;
  readonly backoff: OwedRefundBackoff;
  /** Pause between two passes over the due owed refunds. */
  readonly scanIntervalMs: number;
  /** Owed refunds attempted per pass at most; the next pass takes the rest. Default 50. */
  readonly batchSize?: number;
  /** Source of the jitter; tests may pin it. */
  readonly random?: () => number;
}

/** What one pass did. */
export interface OwedRefundPass {
  readonly givenBack: number;
  /** Closed because the provider held no captured charge for the order: no money moved. */
  readonly nothingCaptured: number;
  /**
   * Nothing captured yet, but the order's charge may still be on its way to the provider: kept owed,
   * asked again once that charge can no longer capture.
   */
  readonly nothingCapturedYet: number;
  readonly failed: number;
  /** Due when listed, but given back, or being attempted, by another worker when claimed. */
  readonly skipped: number;
}

export interface OwedRefundWorker {
  /**
   * Attempts the owed refund of one order now (the Charge that recorded it calls this). Never
   * throws: a failure is logged and left to the passes, since the debt is already recorded.
   */
  giveBack(orderId: string, log?: Logger): Promise<void>;
  /** Attempts every owed refund due now (up to the batch size). Passes never overlap: a call waits for the one running. */
  runPass(): Promise<OwedRefundPass>;
  /** Runs a pass now, then one every `scanIntervalMs`. */
  start(): void;
  /** Stops the passes and waits for the one running. What is still owed stays owed, for the next start. */
  stop(): Promise<void>;
}

/**
 * The worker that gives back money captured for voided orders, retrying the provider until it
 * gives a final answer: "refunded", or "nothing captured" for an order whose charge attempt was never
 * recorded and, it turns out, took nothing (a row then does not retry forever). "Nothing captured"
 * is final only once the order's charge can no longer capture (its deadline and a margin after it
 * began); an earlier one puts the row off until then. Why a worker: the Charge that found its order voided tries once, but nobody calls the
 * service about that order again (the saga saw NOT_FOUND; a repeated Charge stops at the void), so
 * without a retry a provider failure or a crash there would keep the customer's money. Every replica
 * runs one; the store's row lock keeps two from calling the provider for the same order at once, and
 * the provider dedupes refunds by the order id should a crash repeat one. No attempt limit: the money
 * is owed until it is returned; `owed_refunds_pending` and the row's attempts and last error tell an
 * operator when a refund is stuck.
 */
export function createOwedRefundWorker(options: OwedRefundWorkerOptions): OwedRefundWorker {
  const { store, provider } = options;
  const logger = options.logger.child({ component: "owed-refunds" });
  const batchSize = options.batchSize ?? 50;
  const policy: RetryPolicy = { ...options.backoff, maxAttempts: Number.POSITIVE_INFINITY };
  const retryDelayMs = (attempts: number) => backoffDelayMs(attempts, policy, options.random);
  let stopped = false;
  let passes: RepeatingTask | undefined;
  let passing: Promise<unknown> = Promise.resolve();

  /** One attempt, logged; undefined when the database failed (the row then stays due). */
  async function attempt(orderId: string, log: Logger): Promise<OwedRefundAttempt | undefined> {
    try {
      const outcome = await store.attempt(
        orderId,
        ({ amount }) => provider.refund({ idempotencyKey: orderId, amount }),
        retryDelayMs,
      );
      if (outcome.kind === "given-back") {
        log.info({ order_id: orderId, attempts: outcome.attempts }, "owed refund given back");
      } else if (outcome.kind === "nothing-captured") {
        log.info(
          { order_id: orderId, attempts: outcome.attempts },
          "owed refund closed: the provider captured nothing for the order, no money moved",
        );
      } else if (outcome.kind === "nothing-captured-yet") {
        log.info(
          { order_id: orderId, attempts: outcome.attempts, askAgainAt: outcome.askAgainAt.toISOString() },
          "owed refund: the provider captured nothing yet, but the order's charge may still capture; asking again when it no longer can",
        );
      } else if (outcome.kind === "failed") {
        log.warn(
          { order_id: orderId, err: outcome.error, attempts: outcome.attempts, retryInMs: outcome.retryInMs },
          "owed refund failed at the provider; will retry",
        );
      }
      return outcome;
    } catch (error) {
      log.error({ order_id: orderId, err: error }, "owed refund attempt failed; will retry");
      return undefined;
    }
  }

  async function pass(): Promise<OwedRefundPass> {
    const counts = { givenBack: 0, nothingCaptured: 0, nothingCapturedYet: 0, failed: 0, skipped: 0 };
    for (const orderId of await store.dueOrderIds(batchSize)) {
      if (stopped) break;
      const outcome = await attempt(orderId, logger);
      if (outcome?.kind === "given-back") counts.givenBack++;
      else if (outcome?.kind === "nothing-captured") counts.nothingCaptured++;
      else if (outcome?.kind === "nothing-captured-yet") counts.nothingCapturedYet++;
      else if (outcome?.kind === "skipped") counts.skipped++;
      else counts.failed++;
    }
    return counts;
  }

  function runPass(): Promise<OwedRefundPass> {
    const run = passing.then(pass);
    passing = run.catch(() => {});
    return run;
  }

  return {
    async giveBack(orderId, log = logger) {
      await attempt(orderId, log);
    },
    runPass,
    start() {
      passes = repeatAfterSettled(runPass, options.scanIntervalMs, (error) =>
        logger.error({ err: error }, "owed refund pass failed"),
      );
    },
    async stop() {
      stopped = true;
      passes?.stop();
      await passing;
    },
  };
}
