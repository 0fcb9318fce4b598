import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { OrderStatus } from "@shop/gen/shop/order/v1/order_pb";
import { PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { createLogger } from "@shop/platform/log";
import { startTestGrpcServer } from "@shop/platform/testing";
import { createSagaStepRunner } from "../src/saga/saga-steps.js";
import { createSagaWorker } from "../src/saga/saga-worker.js";
import { type CheckoutSystem, startCheckoutSystem, waitFor } from "./checkout-harness.js";

const address = { name: "Grace Hopper", line1: "2 Compiler Rd", city: "Arlington", country: "US" };
const leaseMs = 60_000;

describe("saga resumption after a crash, and customer cancel", () => {
  let system: CheckoutSystem;

  before(async () => {
    // No automatic driving: the test plays the workers itself, step by step.
    system = await startCheckoutSystem({ autoDrive: false });
  });
  after(async () => {
    await system?.stop();
  });

  /** A second order-service instance's worker, whose clock can be moved past the first one's lease. */
  function otherInstanceWorker(clockOffsetMs: number) {
    const inventory = createClient(InventoryService, createGrpcTransport({ baseUrl: system.urls.inventory }));
    const payment = createClient(PaymentService, createGrpcTransport({ baseUrl: system.urls.payment }));
    return createSagaWorker({
      store: system.order.store,
      runStep: createSagaStepRunner({ inventory, payment }, 5000),
      logger: createLogger({ service: "order", level: "silent" }),
      policy: { maxStepAttempts: 3 },
      leaseMs,
      retryDelayMs: 10,
      scanIntervalMs: 60_000,
      workerId: "instance-b",
      now: () => new Date(Date.now() + clockOffsetMs),
    });
  }

  async function place(productId: string, cardToken = "tok_visa") {
    const shopper = await system.shopper();
    await system.clients.cart.addItem({ productId, quantity: 2 }, shopper.options);
    const { order } = await system.clients.order.placeOrder(
      { payment: { cardToken }, shippingAddress: address, idempotencyKey: randomUUID() },
      shopper.options,
    );
    assert.ok(order);
    return { order, shopper };
  }

  test("a worker that dies after the charge is replaced, and the order ends CONFIRMED once", async () => {
    const productId = await system.createProduct(15, 6);
    const { order, shopper } = await place(productId);

    // Instance A reserves and charges, then "crashes": it is abandoned with its lease still held.
    const crashed = await system.order.worker.drive(order.id, { maxSteps: 2 });
    assert.equal(crashed?.saga.step, "COMMITTING");
    assert.equal(crashed?.saga.leaseOwner, system.order.worker.workerId);
    assert.notEqual(crashed?.paymentId, "");

    // While A's lease holds, B must not touch the order.
    const early = otherInstanceWorker(0);
    assert.equal(await early.scan(), 0);
    assert.equal((await early.drive(order.id))?.saga.step, "COMMITTING");

    // Once the lease has expired (B's clock is past it), B's scan resumes from the persisted step.
    const late = otherInstanceWorker(leaseMs + 1000);
    assert.ok((await late.scan()) >= 1);
    const final = await waitFor("the resumed order to settle", async () => {
      const { order: current } = await system.clients.order.getOrder({ id: order.id }, shopper.options);
      return current?.status === OrderStatus.PENDING ? undefined : current;
    });
    await late.stop();
    assert.equal(final?.status, OrderStatus.CONFIRMED);
    const payments = await system.paymentSql`select status from payments where order_id = ${order.id}`;
    assert.deepEqual(
      payments.map((p) => p.status),
      ["CAPTURED"],
    );
    const { stock } = await system.clients.inventory.getStock({ productId });
    assert.deepEqual(
      { available: stock?.available, reserved: stock?.reserved },
      { available: 4, reserved: 0 },
    );
    const confirmed = await system.orderSql<{ payload: Uint8Array }[]>`
      select payload from outbox where subject = 'shop.order.v1.OrderConfirmed'`;
    const mine = confirmed.filter((row) => Buffer.from(row.payload).includes(Buffer.from(order.id)));
    assert.equal(mine.length, 1, "exactly one OrderConfirmed for the order");

    // The abandoned worker coming back cannot move the finished order again.
    assert.equal((await system.order.worker.drive(order.id))?.status, "CONFIRMED");
  });

  test("CancelOrder while reserved cancels at once and the saga releases the stock", async () => {
    const productId = await system.createProduct(8, 5);
    const { order, shopper } = await place(productId);
    await system.order.worker.drive(order.id, { maxSteps: 1 });
    const reserved = await system.clients.inventory.getStock({ productId });
    assert.equal(reserved.stock?.reserved, 2);

    const { order: cancelled } = await system.clients.order.cancelOrder(
      { id: order.id, reason: "found it cheaper" },
      shopper.options,
    );
    assert.equal(cancelled?.status, OrderStatus.CANCELLED);
    assert.equal(cancelled?.statusReason, "found it cheaper");

    const finished = await system.order.worker.drive(order.id);
    assert.equal(finished?.saga.step, "DONE");
    assert.equal(finished?.status, "CANCELLED");
    const { stock } = await system.clients.inventory.getStock({ productId });
    assert.deepEqual(
      { available: stock?.available, reserved: stock?.reserved },
      { available: 5, reserved: 0 },
    );
    assert.equal((await system.paymentSql`select 1 from payments where order_id = ${order.id}`).length, 0);

    // Cancelling again returns it unchanged; a confirmed order cannot be cancelled.
    const again = await system.clients.order.cancelOrder({ id: order.id }, shopper.options);
    assert.equal(again.order?.statusReason, "found it cheaper");
    const other = await place(productId);
    await system.order.worker.drive(other.order.id);
    await assert.rejects(
      system.clients.order.cancelOrder({ id: other.order.id }, other.shopper.options),
      /already confirmed/,
    );
  });

  test("a payment service that hangs times out into compensation: CANCELLED, stock released", async () => {
    const hanging = await startTestGrpcServer((router) =>
      router.service(PaymentService, {
        // Never answers a charge: waits until the caller's deadline cancels the call.
        charge: (_request, context) =>
          new Promise((_resolve, reject) =>
            context.signal.addEventListener("abort", () => reject(context.signal.reason)),
          ),
        refund: () => {
          throw new ConnectError("the order has no payment", Code.NotFound);
        },
      }),
    );
    try {
      const productId = await system.createProduct(30, 4);
      const { order, shopper } = await place(productId);
      const inventory = createClient(
        InventoryService,
        createGrpcTransport({ baseUrl: system.urls.inventory }),
      );
      const payment = createClient(PaymentService, createGrpcTransport({ baseUrl: hanging.baseUrl }));
      const worker = createSagaWorker({
        store: system.order.store,
        runStep: createSagaStepRunner({ inventory, payment }, 150),
        logger: createLogger({ service: "order", level: "silent" }),
        policy: { maxStepAttempts: 2 },
        leaseMs,
        retryDelayMs: 10,
        scanIntervalMs: 60_000,
      });
      const finished = await worker.drive(order.id);
      assert.equal(finished?.saga.step, "DONE");
      const { order: final } = await system.clients.order.getOrder({ id: order.id }, shopper.options);
      assert.equal(final?.status, OrderStatus.CANCELLED);
      assert.match(final?.statusReason ?? "", /payment service did not answer/);
      const { stock } = await system.clients.inventory.getStock({ productId });
      assert.deepEqual(
        { available: stock?.available, reserved: stock?.reserved },
        { available: 4, reserved: 0 },
      );
    } finally {
      await hanging.close();
    }
  });
});
