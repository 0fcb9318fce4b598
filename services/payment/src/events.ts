import {
  PaymentCapturedSchema,
  PaymentDeclinedSchema,
  PaymentRefundedSchema,
} from "@shop/gen/shop/payment/v1/events_pb";
import { type Payment, PaymentStatus } from "@shop/gen/shop/payment/v1/payment_pb";
import { createEvent, type ShopEvent } from "@shop/platform/events/event-codec";

/**
 * The event announcing the outcome of a charge: PaymentCaptured or PaymentDeclined. Built from the
 * stored payment so the event says exactly what was committed (and never carries the card token).
 */
export function chargeOutcomeEvent(payment: Payment): ShopEvent {
  const common = { paymentId: payment.id, orderId: payment.orderId, userId: payment.userId };
  const occurTime = payment.updateTime;
  if (payment.status === PaymentStatus.CAPTURED) {
    return createEvent(PaymentCapturedSchema, { ...common, occurTime, amount: payment.amount });
  }
  return createEvent(PaymentDeclinedSchema, { ...common, occurTime, reason: payment.declineReason });
}

/** The event announcing that a captured payment was given back in full. */
export function refundedEvent(payment: Payment): ShopEvent {
  return createEvent(PaymentRefundedSchema, {
    paymentId: payment.id,
    orderId: payment.orderId,
    userId: payment.userId,
    occurTime: payment.updateTime,
    amount: payment.amount,
  });
}
