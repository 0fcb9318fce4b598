import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Payment, type PaymentService, PaymentStatus } from "@shop/gen/shop/payment/v1/payment_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { invalidArgument } from "@shop/platform/invalid-argument";
import { requestLoggerKey } from "@shop/platform/request-context";
import { optionalText, requiredText } from "@shop/platform/text-fields";
import { canonicalUuid } from "@shop/platform/uuid";
import { requireUuid } from "@shop/platform/uuid-field";
import type { CardProvider } from "./card-provider.js";
import { chargeBefore } from "./charge-deadline.js";
import { chargeOutcomeEvent, refundedEvent } from "./events.js";
import { chargeAmountProblem, sameMoney } from "./money.js";
import type { OwedRefundWorker } from "./owed-refund-worker.js";
import type { PaymentStore } from "./store.js";

export interface PaymentHandlerDeps {
  readonly store: PaymentStore;
  readonly provider: CardProvider;
  /** Gives back a charge captured for a voided order now, and keeps retrying when that fails. */
  readonly owedRefunds: Pick<OwedRefundWorker, "giveBack">;
  /** The deadline of a Charge's provider call (CARD_CHARGE_TIMEOUT_MS); see charge-deadline.ts. */
  readonly chargeTimeoutMs: number;
}

/** A repeat of Charge must describe the same charge; anything else is a caller bug worth surfacing. */
function assertSameCharge(existing: Payment, userId: string, amount: Payment["amount"] & object): void {
  if (existing.userId !== userId || !existing.amount || !sameMoney(existing.amount, amount)) {
    throw new ConnectError(
      "order already has a payment with a different user or amount",
      Code.FailedPrecondition,
    );
  }
}

/**
 * A Charge that arrives after a Refund already answered "no payment" for its order (the saga gave up
 * on a charge that timed out and compensated). Taking money now would leave it with a cancelled order
 * that nobody refunds, so the charge is refused for good.
 */
function orderVoided(): ConnectError {
  return new ConnectError(
    "the order was refunded before it was charged (checkout cancelled); it cannot be charged any more",
    Code.FailedPrecondition,
  );
}

/**
 * The PaymentService RPCs. Charge and Refund are idempotent by order id so the checkout saga can retry
 * and resume them; GetPayment is owner-only. The card token is passed to the provider and dropped.
 */
export function createPaymentHandlers({
  store,
  provider,
  owedRefunds,
  chargeTimeoutMs,
}: PaymentHandlerDeps): ServiceImpl<typeof PaymentService> {
  return {
    async charge(req, ctx) {
      const orderId = requireUuid("order_id", req.orderId);
      const userId = requiredText("user_id", req.userId, { maxLength: 128 });
      const problem = chargeAmountProblem(req.amount);
      // The problem names its field already (amount, amount.currency_code, ...).
      if (problem || !req.amount)
        throw new ConnectError(problem ?? "amount is required", Code.InvalidArgument);
      const amount = req.amount;
      const cardToken = requiredText("card_token", req.cardToken, { maxLength: 256 });

      // Set before the attempt is recorded, so no provider call of this Charge leaves after the
      // attempt's recorded start plus the timeout (see charge-deadline.ts).
      const deadline = Date.now() + chargeTimeoutMs;
      // Recorded (and committed) before the provider is asked, so a crash after the provider approved
      // still leaves a trace that a Refund turns into an owed refund; refused when the order is void,
      // and not asked again when the order already has a payment.
      const begun = await store.beginCharge(orderId, amount);
      if (begun.kind === "paid") {
        assertSameCharge(begun.payment, userId, amount);
        return { payment: begun.payment };
      }
      if (begun.kind === "voided") throw orderVoided();
      // Stops waiting at the deadline, or earlier when the caller's own deadline passes or it cancels
      // (ctx.signal): the saga's repeat of this Charge must not overlap a provider call of this one.
      const decision = await chargeBefore(
        provider,
        { idempotencyKey: orderId, cardToken, amount },
        deadline,
        ctx.signal,
      );
      const outcome = await store.insertOnce(
        {
          orderId,
          userId,
          amount,
          status: decision.approved ? PaymentStatus.CAPTURED : PaymentStatus.DECLINED,
          declineReason: decision.approved ? "" : decision.reason,
        },
        chargeOutcomeEvent,
      );
      if (outcome.kind === "voided") {
        // The refund overtook this charge while the provider was answering. The money it took is
        // recorded as owed; try to give it back now, and if that fails the worker keeps trying.
        if (outcome.refundOwed) await owedRefunds.giveBack(orderId, ctx.values.get(requestLoggerKey));
        throw orderVoided();
      }
      const { payment, created } = outcome;
      if (!created) assertSameCharge(payment, userId, amount);
      if (created) {
        ctx.values
          .get(requestLoggerKey)
          .info(
            { order_id: orderId, payment_id: payment.id, status: PaymentStatus[payment.status] },
            "charge recorded",
          );
      }
      return { payment };
    },

    async refund(req, ctx) {
      const orderId = requireUuid("order_id", req.orderId);
      // Only checked: the reason is not stored, but the contract bounds it like every caller text.
      optionalText("reason", req.reason, { maxLength: 500 });
      const log = ctx.values.get(requestLoggerKey);
      const result = await store.refund(
        orderId,
        async (captured) => {
          if (!captured.amount) throw new Error(`payment ${captured.id} has no amount`);
          const outcome = await provider.refund({ idempotencyKey: orderId, amount: captured.amount });
          // The payment says CAPTURED, the provider holds nothing to give back: nothing is owed to the
          // customer either way, so the payment is marked refunded, but the mismatch is worth a look.
          if (outcome === "nothing-captured") {
            log.warn(
              { order_id: orderId, payment_id: captured.id },
              "refund: the provider holds no captured charge for this captured payment",
            );
          }
        },
        refundedEvent,
      );
      if (result.kind === "no-payment") {
        // No payment was recorded, so for the caller nothing was taken. With `refundOwed` a charge
        // attempt was recorded without an outcome (its process may have died after the provider
        // approved); the owed refund recorded with the void makes the worker ask the provider to give
        // back whatever it captured. Left to the worker, not tried here: most often that charge is
        // still on its way and the provider would answer "nothing captured" yet.
        if (result.refundOwed) {
          log.info({ order_id: orderId }, "refund found a charge attempt without a payment: refund owed");
        }
        throw new ConnectError("the order has no payment", Code.NotFound);
      }
      const { payment } = result;
      log.info(
        { order_id: orderId, payment_id: payment.id, status: PaymentStatus[payment.status] },
        "refund",
      );
      return { payment };
    },

    async getPayment(req, ctx) {
      const identity = requireIdentity(ctx);
      if (req.id === "") throw invalidArgument("id", "is required");
      // Payment ids are UUIDs: anything else names no payment (NotFound, like someone else's).
      const id = canonicalUuid(req.id);
      const payment = id ? await store.getForUser(id, identity.userId) : undefined;
      if (!payment) throw new ConnectError("payment not found", Code.NotFound);
      return { payment };
    },
  };
}
