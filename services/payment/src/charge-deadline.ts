import { Code, ConnectError } from "@connectrpc/connect";
import type { CardProvider, ChargeAttempt, ChargeDecision } from "./card-provider.js";

/** The Charge's answer when the provider was not asked, or did not answer, before the deadline. */
function deadlinePassed(): ConnectError {
  return new ConnectError(
    "the card provider did not answer before the charge's deadline (CARD_CHARGE_TIMEOUT_MS); " +
      "the charge may still have been taken: repeat the Charge, or Refund the order",
    Code.Unavailable,
  );
}

/**
 * Asks `provider` to charge unless `deadline` (milliseconds since the epoch) has passed, and stops
 * waiting for the answer at the deadline (aborting the attempt's signal), which is then UNAVAILABLE.
 *
 * Why: until a charge can no longer capture, the provider's "nothing captured" for its order is not
 * final (see `owedRefunds.chargeStartedAt` in schema.ts), so how long a charge may be in flight must
 * have a bound: this deadline plus CHARGE_IN_FLIGHT_MARGIN_MS. The Charge sets the deadline before it
 * records the attempt, so the attempt's recorded start is no earlier than the deadline's start (up to
 * the clock skew the margin covers), and a process that stalls between recording the attempt and
 * calling the provider does not call it late.
 */
export async function chargeBefore(
  provider: CardProvider,
  attempt: Omit<ChargeAttempt, "signal">,
  deadline: number,
  now: () => number = Date.now,
): Promise<ChargeDecision> {
  const remainingMs = deadline - now();
  if (remainingMs <= 0) throw deadlinePassed();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = deadlinePassed();
      controller.abort(error);
      reject(error);
    }, remainingMs);
  });
  try {
    return await Promise.race([provider.charge({ ...attempt, signal: controller.signal }), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
