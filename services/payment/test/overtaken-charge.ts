import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import { type Money, MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import type { ChargeRequest, PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { rejectionCode } from "@shop/platform/testing";
import type { CardProvider, RefundAttempt } from "../src/card-provider.js";

export function usd(units: number, nanos = 0): Money {
  return create(MoneySchema, { currencyCode: "USD", units: BigInt(units), nanos });
}

/** The gRPC code a call ended with; undefined when it succeeded. */

/**
 * A card provider that holds every charge until the test releases it, so a Refund can overtake the
 * charge (the race of e8564e0), then approves it. Every refund call is recorded in `refundCalls`; like
 * a real provider it answers "nothing-captured" while no charge has been approved yet, and otherwise
 * hands the call to `refund`, which may fail or hang to play a provider outage or a crash, and answers
 * "refunded" once that resolves.
 */
export interface HeldChargeProvider {
  readonly provider: CardProvider;
  /** Resolves once a charge is waiting at the provider. */
  readonly charging: Promise<void>;
  /** Lets the waiting charge (and every later one) be approved. */
  release(): void;
  readonly refundCalls: RefundAttempt[];
}

export function createHeldChargeProvider(
  refund: (attempt: RefundAttempt) => Promise<void> = async () => {},
): HeldChargeProvider {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let arrived: () => void = () => {};
  const charging = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const refundCalls: RefundAttempt[] = [];
  let captured = false;
  return {
    provider: {
      async charge() {
        arrived();
        await released;
        captured = true;
        return { approved: true };
      },
      async refund(attempt) {
        refundCalls.push(attempt);
        if (!captured) return "nothing-captured";
        await refund(attempt);
        return "refunded";
      },
    },
    charging,
    release,
    refundCalls,
  };
}

/**
 * Plays the race: `request` is charged, and while the provider holds it a Refund of the same order
 * finds no payment (NotFound) and voids the order; then the provider approves. Returns the charge's
 * pending outcome (wrapped, so a charge that is still busy giving the money back can be awaited later).
 */
export async function overtakeCharge(
  client: Client<typeof PaymentService>,
  held: HeldChargeProvider,
  request: Pick<ChargeRequest, "orderId" | "userId" | "amount" | "cardToken">,
): Promise<{ readonly charge: Promise<Code | undefined> }> {
  const charge = rejectionCode(client.charge(request));
  await held.charging;
  assert.equal(await rejectionCode(client.refund({ orderId: request.orderId })), Code.NotFound);
  held.release();
  return { charge };
}
