import { create } from "@bufbuild/protobuf";
import { type Money, MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import type { RefundOutcome } from "./card-provider.js";
import { owedRefunds } from "./schema.js";
import type { PaymentDb, PaymentTx } from "./store.js";

/**
 * Money the service must give back for a voided order, or may have to: see `owedRefunds` in schema.ts.
 */
export interface OwedRefund {
  readonly orderId: string;
  readonly amount: Money;
}

/** What one attempt at an owed refund came to. */
export type OwedRefundAttempt =
  /** The provider confirmed the refund; the row is done. */
  | { readonly kind: "given-back"; readonly attempts: number }
  /**
   * The provider holds no captured charge under the order id (declined, or never reached it), and no
   * charge of the order can still capture: no money moved, and the row is done with
   * `nothing_captured` (reopened should a capture turn up all the same).
   */
  | { readonly kind: "nothing-captured"; readonly attempts: number }
  /**
   * The provider holds no captured charge under the order id yet, but a charge of the order may still
   * be on its way to it (see `owedRefunds.chargeStartedAt`): the row stays owed and is due again at
   * `askAgainAt`, when that charge can no longer capture.
   */
  | { readonly kind: "nothing-captured-yet"; readonly attempts: number; readonly askAgainAt: Date }
  /** The provider call failed; the row stays owed and is due again in `retryInMs`. */
  | {
      readonly kind: "failed";
      readonly attempts: number;
      readonly error: unknown;
      readonly retryInMs: number;
    }
  /** Nothing to do now: given back already, not due yet, or being attempted by another worker. */
  | { readonly kind: "skipped" };

export interface OwedRefundStore {
  /** Order ids of the owed refunds due for an attempt, oldest due first. Read without locking. */
  dueOrderIds(limit: number): Promise<string[]>;
  /**
   * Attempts the owed refund of one order if it is still owed, due, and not being attempted
   * elsewhere: the row is locked (`FOR UPDATE SKIP LOCKED`) for the whole attempt, `giveBack` runs
   * (the provider call), then the row is marked done (with `nothing_captured` when the provider
   * answers that nothing was captured under the key, unless a charge of the order may still capture:
   * then the row stays owed until it cannot), or, when `giveBack` throws, its attempts and error are
   * recorded and its next attempt is put off by `retryDelayMs(attempts)` milliseconds.
   * Why SKIP LOCKED: replicas (and a Charge trying right away) never call the provider for the same
   * row at the same time, and none waits on a row another is already paying back.
   */
  attempt(
    orderId: string,
    giveBack: (owed: OwedRefund) => Promise<RefundOutcome>,
    retryDelayMs: (attempts: number) => number,
  ): Promise<OwedRefundAttempt>;
  /** How many refunds are still owed (for the pending gauge). */
  countPending(): Promise<number>;
}

export interface OwedRefundStoreOptions {
  /**
   * How long after it began a charge may still capture: its deadline and a margin
   * (CARD_CHARGE_TIMEOUT_MS + CHARGE_IN_FLIGHT_MARGIN_MS). A "nothing captured" answer for an owed
   * refund whose charge began less long ago is not final.
   */
  readonly chargeInFlightMs: number;
}

/** Long provider errors are cut: the column is for an operator's first look, not a full trace. */
const maxErrorLength = 1000;

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength)}…` : text;
}

/**
 * Records, inside the caller's transaction, that `amount` captured (or possibly captured) for
 * `orderId` must be given back. Why in the caller's transaction: the Charge that finds its order
 * voided, and the Refund that voids an order with a charge attempt but no payment, record the debt in
 * the same commit as the void, before the provider is asked, so no crash or provider failure can
 * separate "the order is void" from "its money is owed".
 *
 * `chargeStartedAt` is given by the Refund that turns a charge attempt into the debt: when the latest
 * Charge of the order began, which may still be on its way to the provider (see
 * `owedRefunds.chargeStartedAt`). The Charge that saw the capture gives none.
 *
 * A repeat (a duplicate Charge that also got the provider's approval, which is the same capture by
 * idempotency key) makes a row still owed due now, since a capture is now known: one waiting to ask
 * the provider again after a "nothing captured yet" is given back at once. A row refunded stays as
 * it is. A row closed as "nothing captured" is reopened, due now: the provider gave that answer, yet
 * the caller now says money may be (or was) taken. Asking again is safe, since the provider dedupes
 * refunds by the order id and answers "nothing captured" again if there is still nothing.
 */
export async function recordOwedRefund(
  tx: PaymentTx,
  orderId: string,
  amount: Money,
  chargeStartedAt?: Date,
): Promise<void> {
  await tx
    .insert(owedRefunds)
    .values({
      orderId,
      currencyCode: amount.currencyCode,
      units: amount.units,
      nanos: amount.nanos,
      chargeStartedAt: chargeStartedAt ?? null,
    })
    .onConflictDoUpdate({
      target: owedRefunds.orderId,
      set: {
        doneAt: null,
        nothingCaptured: false,
        nextAttemptAt: sql`now()`,
        // greatest() skips nulls: the latest charge that may be in flight, if any.
        chargeStartedAt: sql`greatest(${owedRefunds.chargeStartedAt}, excluded.charge_started_at)`,
      },
      where: sql`${owedRefunds.doneAt} is null or ${owedRefunds.nothingCaptured}`,
    });
}

/** Data access of the owed refunds over the payment service's database. */
export function createOwedRefundStore(db: PaymentDb, options: OwedRefundStoreOptions): OwedRefundStore {
  // Due and owed, by the database's clock so that replicas with skewed clocks agree.
  const dueAndOwed = and(isNull(owedRefunds.doneAt), lte(owedRefunds.nextAttemptAt, sql`now()`));
  // When no charge of the row can capture any more. A row without a charge start is judged from its
  // creation, a later point than any charge of it began: a Refund of a replica still running the code
  // before charge_started_at existed (a rolling upgrade) writes none, and its charge may be in flight.
  // A row from a capture the service saw waits that one window too, but its answer is "refunded".
  const chargeSettlesAt =
    sql<Date>`coalesce(${owedRefunds.chargeStartedAt}, ${owedRefunds.createdAt}) + make_interval(secs => ${
      options.chargeInFlightMs / 1000
    })`.mapWith(owedRefunds.createdAt);

  return {
    async dueOrderIds(limit) {
      const rows = await db
        .select({ orderId: owedRefunds.orderId })
        .from(owedRefunds)
        .where(dueAndOwed)
        .orderBy(asc(owedRefunds.nextAttemptAt))
        .limit(limit);
      return rows.map((row) => row.orderId);
    },

    async attempt(orderId, giveBack, retryDelayMs) {
      return db.transaction(async (tx): Promise<OwedRefundAttempt> => {
        const [claimed] = await tx
          .select({
            row: owedRefunds,
            chargeSettlesAt,
            // Judged now, before the provider is asked, so a "nothing captured" it gives afterwards
            // is final when this is true: no charge of the order can capture after that answer.
            chargeSettled: sql<boolean>`${chargeSettlesAt} <= now()`,
          })
          .from(owedRefunds)
          .where(and(eq(owedRefunds.orderId, orderId), dueAndOwed))
          .for("update", { skipLocked: true });
        if (!claimed) return { kind: "skipped" };
        const { row } = claimed;
        const attempts = row.attempts + 1;
        const amount = create(MoneySchema, {
          currencyCode: row.currencyCode,
          units: row.units,
          nanos: row.nanos,
        });
        let outcome: RefundOutcome;
        try {
          outcome = await giveBack({ orderId, amount });
        } catch (error) {
          const retryInMs = retryDelayMs(attempts);
          await tx
            .update(owedRefunds)
            .set({
              attempts,
              lastError: errorText(error),
              nextAttemptAt: sql`now() + make_interval(secs => ${retryInMs / 1000})`,
            })
            .where(eq(owedRefunds.orderId, orderId));
          return { kind: "failed", attempts, error, retryInMs };
        }
        if (outcome === "nothing-captured" && !claimed.chargeSettled) {
          // The charge may still be on its way and capture after this answer: asked again once it
          // cannot. Not a failure: attempts count it, the backoff and last error stay as they are.
          const askAgainAt = claimed.chargeSettlesAt;
          await tx
            .update(owedRefunds)
            .set({ attempts, nextAttemptAt: chargeSettlesAt })
            .where(eq(owedRefunds.orderId, orderId));
          return { kind: "nothing-captured-yet", attempts, askAgainAt };
        }
        const nothingCaptured = outcome === "nothing-captured";
        await tx
          .update(owedRefunds)
          .set({ attempts, doneAt: sql`now()`, nothingCaptured })
          .where(eq(owedRefunds.orderId, orderId));
        return { kind: nothingCaptured ? "nothing-captured" : "given-back", attempts };
      });
    },

    async countPending() {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(owedRefunds)
        .where(isNull(owedRefunds.doneAt));
      return row?.count ?? 0;
    },
  };
}
