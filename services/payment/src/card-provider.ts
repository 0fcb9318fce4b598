import type { Money } from "@shop/gen/shop/common/v1/money_pb";

/** What the card provider answered to a charge. A decline is an answer, not an error. */
export type ChargeDecision =
  | { readonly approved: true }
  | { readonly approved: false; readonly reason: string };

export interface ChargeAttempt {
  /**
   * The provider-side idempotency key (the order id). Real providers dedupe charges by such a key, which
   * is what keeps two racing Charge calls for one order from taking the money twice before the
   * database's unique constraint picks the winner.
   */
  readonly idempotencyKey: string;
  /** Secret; used for this call only, never stored or logged. */
  readonly cardToken: string;
  readonly amount: Money;
  /**
   * Aborted when the Charge stops waiting (its deadline, `CARD_CHARGE_TIMEOUT_MS`, or earlier when its
   * caller's deadline passes or the caller cancels): a real client cancels its request with it. The service does not wait past it either way (see charge-deadline.ts).
   */
  readonly signal: AbortSignal;
}

export interface RefundAttempt {
  /** The idempotency key of the charge to give back (the order id); also dedupes the refund. */
  readonly idempotencyKey: string;
  readonly amount: Money;
}

/**
 * What the card provider answered to a refund: `"refunded"` when the charge under the key was
 * captured and is given back (now, or by an earlier refund of the same key: refunds are idempotent),
 * `"nothing-captured"` when the provider holds no captured charge under the key (the charge was
 * declined, or never reached the provider), so there is no money to give back. Both are final
 * answers; a failure to answer is a rejected promise.
 */
export type RefundOutcome = "refunded" | "nothing-captured";

/** The boundary to the card network; swapped for a real provider client in production. */
export interface CardProvider {
  charge(attempt: ChargeAttempt): Promise<ChargeDecision>;
  refund(attempt: RefundAttempt): Promise<RefundOutcome>;
}

/** Test-mode card tokens the fake provider understands, named like the big providers' test tokens. */
export const testCardTokens = {
  approve: "tok_visa",
  decline: "tok_chargeDeclined",
} as const;

/** One movement of money at the fake provider. */
export interface FakeLedgerEntry {
  readonly kind: "capture" | "refund";
  readonly idempotencyKey: string;
  readonly amount: Money;
}

/** The fake provider, with what it holds visible to tests and demos. */
export interface FakeCardProvider extends CardProvider {
  /** Every capture and refund it made, in order; a repeated charge or refund of a key adds nothing. */
  ledger(): readonly FakeLedgerEntry[];
}

/**
 * A deterministic stand-in for a card provider (ARCHITECTURE §2): `tok_visa` approves,
 * `tok_chargeDeclined` declines as "card declined", any other token declines as an unknown card.
 * Why deterministic: checkout tests and demos must be able to choose the outcome of a payment.
 *
 * Like a real provider it remembers what it captured per idempotency key (in memory, for the life of
 * the process): a repeated charge of a captured key is approved again without taking more money, a
 * refund gives a captured key's money back once (repeats answer `"refunded"` and move nothing), and a
 * refund of a key under which nothing was captured answers `"nothing-captured"`.
 */
export function createFakeCardProvider(): FakeCardProvider {
  const captured = new Map<string, { readonly amount: Money; refunded: boolean }>();
  const ledger: FakeLedgerEntry[] = [];
  return {
    async charge({ idempotencyKey, cardToken, amount }) {
      if (captured.has(idempotencyKey)) return { approved: true };
      if (cardToken === testCardTokens.approve) {
        captured.set(idempotencyKey, { amount, refunded: false });
        ledger.push({ kind: "capture", idempotencyKey, amount });
        return { approved: true };
      }
      if (cardToken === testCardTokens.decline) return { approved: false, reason: "card declined" };
      return { approved: false, reason: "unknown card token" };
    },
    async refund({ idempotencyKey }) {
      const capture = captured.get(idempotencyKey);
      if (!capture) return "nothing-captured";
      if (!capture.refunded) {
        capture.refunded = true;
        // The whole captured amount goes back, whatever the request says (refunds are of whole charges).
        ledger.push({ kind: "refund", idempotencyKey, amount: capture.amount });
      }
      return "refunded";
    },
    ledger: () => [...ledger],
  };
}
