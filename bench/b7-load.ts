/**
 * B7's two load shapes over one pool of shoppers: a closed loop (N virtual users, each checking out
 * again as soon as its last checkout is confirmed) to find saturation, and an open loop (checkouts
 * started on a fixed schedule whatever the system's speed) to measure latency at a given rate.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { RestCall } from "./b7-rest.js";
import {
  type CheckoutOptions,
  type CheckoutTiming,
  checkout,
  RejectedStepError,
  type Shopper,
} from "./b7-shopper.js";

export interface LoadContext {
  readonly call: RestCall;
  readonly shoppers: readonly Shopper[];
  /** Checkouts alternate over these products, so no single stock row carries every reservation. */
  readonly productIds: readonly string[];
  readonly checkout: CheckoutOptions;
}

/** Checkouts a step of which the edge answered with an HTTP error; not counted in any rate. */
export interface Rejections {
  readonly count: number;
  /** The first rejection's message, to say what went wrong. */
  readonly first?: string;
}

export interface ClosedLoopResult {
  readonly users: number;
  /** Checkouts confirmed inside the measuring window. */
  readonly confirmed: number;
  /** Checkouts confirmed in all, the ones still in flight at the window's end included. */
  readonly completed: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly timings: readonly CheckoutTiming[];
  readonly rejected: Rejections;
}

export interface OpenLoopResult {
  readonly targetRate: number;
  readonly started: number;
  /** Starts per second the schedule actually achieved. */
  readonly achievedRate: number;
  readonly timings: readonly CheckoutTiming[];
  /** Starts that found every shopper busy and waited for one (the pool was too small for the rate). */
  readonly waitedForShopper: number;
  readonly rejected: Rejections;
}

/** A rejection pauses its virtual user this long, so a failing system is not hammered in a hot loop. */
const pauseAfterRejectionMs = 100;

function productFor(context: LoadContext, sequence: number): string {
  return context.productIds[sequence % context.productIds.length] as string;
}

/**
 * Sorts the outcome of failed checkouts: rejections (HTTP errors, e.g. 503 from an overloaded
 * upstream) are tallied; anything else (CANCELLED, no confirmation in time) is fatal and kept.
 */
function createOutcomes() {
  let count = 0;
  let first: string | undefined;
  let fatal: unknown;
  return {
    /** Returns true when the failure was only a rejection. */
    record(error: unknown): boolean {
      if (error instanceof RejectedStepError) {
        count++;
        first ??= error.message;
        return true;
      }
      fatal ??= error;
      return false;
    },
    get fatal() {
      return fatal;
    },
    /** Throws the fatal failure, or when rejections outnumber successes (the system is broken). */
    settle(succeeded: number): Rejections {
      if (fatal !== undefined) throw fatal;
      if (count > Math.max(10, succeeded)) {
        throw new Error(`${count} checkouts rejected against ${succeeded} confirmed; first: ${first}`);
      }
      return { count, first };
    },
  };
}

/**
 * `users` virtual users, each on its own account, check out back to back for `seconds`. Only
 * checkouts confirmed inside the window count; the in-flight ones are awaited (so the next level
 * starts on a quiet system) but not counted. A CANCELLED or unconfirmed order fails the level.
 */
export async function runClosedLoop(
  context: LoadContext,
  users: number,
  seconds: number,
): Promise<ClosedLoopResult> {
  if (users > context.shoppers.length) {
    throw new Error(`closed loop of ${users} users needs as many shoppers, have ${context.shoppers.length}`);
  }
  const timings: CheckoutTiming[] = [];
  const outcomes = createOutcomes();
  const deadline = performance.now() + seconds * 1000;
  let sequence = 0;
  let completed = 0;
  const virtualUser = async (shopper: Shopper) => {
    while (outcomes.fatal === undefined && performance.now() < deadline) {
      try {
        const timing = await checkout(
          context.call,
          shopper,
          productFor(context, sequence++),
          context.checkout,
        );
        completed++;
        if (performance.now() <= deadline) timings.push(timing);
      } catch (error) {
        if (outcomes.record(error)) await delay(pauseAfterRejectionMs);
      }
    }
  };
  await Promise.all(context.shoppers.slice(0, users).map(virtualUser));
  const rejected = outcomes.settle(completed);
  return {
    users,
    confirmed: timings.length,
    completed,
    seconds,
    perSecond: timings.length / seconds,
    timings,
    rejected,
  };
}

/**
 * Starts checkouts at `rate` per second for `seconds`, each on an idle shopper (a shopper never has
 * two checkouts at once: the cart is per user). Latency is measured per checkout from its own POST
 * /v1/orders, so a late start never hides a slow answer; late starts are counted and reported.
 */
export async function runOpenLoop(
  context: LoadContext,
  rate: number,
  seconds: number,
): Promise<OpenLoopResult> {
  const idle = [...context.shoppers];
  const waiters: Array<(shopper: Shopper) => void> = [];
  const acquire = async (): Promise<{ shopper: Shopper; waited: boolean }> => {
    const shopper = idle.pop();
    if (shopper) return { shopper, waited: false };
    return { shopper: await new Promise<Shopper>((resolve) => waiters.push(resolve)), waited: true };
  };
  const release = (shopper: Shopper) => {
    const next = waiters.shift();
    if (next) next(shopper);
    else idle.push(shopper);
  };

  const total = Math.round(rate * seconds);
  const timings: CheckoutTiming[] = [];
  const outcomes = createOutcomes();
  const pending: Promise<void>[] = [];
  let waitedForShopper = 0;
  const started = performance.now();
  for (let i = 0; i < total && outcomes.fatal === undefined; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await delay(wait);
    pending.push(
      (async () => {
        const { shopper, waited } = await acquire();
        if (waited) waitedForShopper++;
        try {
          timings.push(await checkout(context.call, shopper, productFor(context, i), context.checkout));
        } catch (error) {
          outcomes.record(error);
        } finally {
          release(shopper);
        }
      })(),
    );
  }
  const scheduleSeconds = (performance.now() - started) / 1000;
  await Promise.all(pending);
  const rejected = outcomes.settle(timings.length);
  return {
    targetRate: rate,
    started: total,
    // Starts are 1/rate apart, so n starts span (n - 1) intervals.
    achievedRate: total > 1 && scheduleSeconds > 0 ? (total - 1) / scheduleSeconds : total,
    timings,
    waitedForShopper,
    rejected,
  };
}
