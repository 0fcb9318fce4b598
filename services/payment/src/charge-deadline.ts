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
 * The Charge's answer when its caller's own deadline passed, or the caller cancelled, before the
 * provider answered (the caller is gone: this is for the logs; its code is the signal's).
 */
function callerGone(signal: AbortSignal): ConnectError {
  const reason: unknown = signal.reason;
  return new ConnectError(
    "the caller's deadline passed or it cancelled before the card provider answered; " +
      "the charge may still have been taken: repeat the Charge, or Refund the order",
    reason instanceof ConnectError ? reason.code : Code.Canceled,
    undefined,
    undefined,
    reason,
  );
}

/**
 * Asks `provider` to charge unless `deadline` (milliseconds since the epoch) has passed or `callerSignal`
 * (the RPC's own signal: the caller's deadline, or its cancellation) has aborted, and stops waiting for
 * the answer at whichever comes first, aborting the attempt's signal so that a real client cancels
 * its request. Past `deadline` the Charge is UNAVAILABLE; when the caller is gone, the signal's code.
 *
 * Why `deadline`: until a charge can no longer capture, the provider's "nothing captured" for its
 * order is not final (see `owedRefunds.chargeStartedAt` in schema.ts), so how long a charge may be in
 * flight must have a bound: this deadline plus CHARGE_IN_FLIGHT_MARGIN_MS, whatever the caller asks
 * for. The Charge sets the deadline before it records the attempt, so the attempt's recorded start
 * (database time, after the deadline was set) leaves at most the deadline for the provider call, and
 * a process that stalls between recording the attempt and calling the provider does not call it late.
 *
 * Why `callerSignal` too: the saga gives up on a Charge at its own step timeout (shorter than
 * CARD_CHARGE_TIMEOUT_MS) and repeats it; a Charge still waiting for the provider then would overlap
 * its provider call with the repeat's.
 */
export async function chargeBefore(
  provider: CardProvider,
  attempt: Omit<ChargeAttempt, "signal">,
  deadline: number,
  callerSignal?: AbortSignal,
  now: () => number = Date.now,
): Promise<ChargeDecision> {
  const remainingMs = deadline - now();
  if (remainingMs <= 0) throw deadlinePassed();
  if (callerSignal?.aborted) throw callerGone(callerSignal);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onCallerAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    const stop = (error: ConnectError) => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(() => stop(deadlinePassed()), remainingMs);
    if (callerSignal) {
      const signal = callerSignal;
      onCallerAbort = () => stop(callerGone(signal));
      signal.addEventListener("abort", onCallerAbort, { once: true });
    }
  });
  try {
    return await Promise.race([provider.charge({ ...attempt, signal: controller.signal }), stopped]);
  } finally {
    clearTimeout(timer);
    if (onCallerAbort) callerSignal?.removeEventListener("abort", onCallerAbort);
  }
}
