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
}

export interface RefundAttempt {
  readonly idempotencyKey: string;
  readonly amount: Money;
}

/** The boundary to the card network; swapped for a real provider client in production. */
export interface CardProvider {
  charge(attempt: ChargeAttempt): Promise<ChargeDecision>;
  refund(attempt: RefundAttempt): Promise<void>;
}

/** Test-mode card tokens the fake provider understands, named like the big providers' test tokens. */
export const testCardTokens = {
  approve: "tok_visa",
  decline: "tok_chargeDeclined",
} as const;

/**
 * A deterministic stand-in for a card provider (ARCHITECTURE §2): `tok_visa` approves,
 * `tok_chargeDeclined` declines as "card declined", any other token declines as an unknown card.
 * Why deterministic: checkout tests and demos must be able to choose the outcome of a payment.
 */
export function createFakeCardProvider(): CardProvider {
  return {
    async charge({ cardToken }) {
      if (cardToken === testCardTokens.approve) return { approved: true };
      if (cardToken === testCardTokens.decline) return { approved: false, reason: "card declined" };
      return { approved: false, reason: "unknown card token" };
    },
    async refund() {
      // The fake provider always gives money back.
    },
  };
}
