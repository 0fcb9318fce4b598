import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { PaymentService, PaymentStatus } from "@shop/gen/shop/payment/v1/payment_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { createLogger } from "@shop/platform/log";
import { createLogSink, createTestDatabase, rejectionCode, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { loadPaymentConfig } from "../src/config.js";
import { type RunningPaymentService, startPaymentService } from "../src/service.js";
import { createHeldChargeProvider, overtakeCharge, usd } from "./overtaken-charge.js";

describe("payment service over gRPC", () => {
  let database: TestDatabase;
  let sql: postgres.Sql;
  let service: RunningPaymentService;
  let client: Client<typeof PaymentService>;
  let issuer: TestTokenIssuer;
  const logs = createLogSink();

  before(async () => {
    database = await createTestDatabase({ prefix: "payment" });
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    issuer = await createTestTokenIssuer();
    const config = loadPaymentConfig({ PORT: "1", DATABASE_URL: database.url, LOG_LEVEL: "info" });
    service = await startPaymentService(
      { ...config, PORT: 0 },
      {
        verifier: issuer.verifier,
        logger: createLogger({ service: "payment", level: "debug", destination: logs.stream }),
      },
    );
    client = createClient(
      PaymentService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
    );
  });

  after(async () => {
    await service?.shutdown();
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  async function rowsFor(orderId: string) {
    return sql`select id, status from payments where order_id = ${orderId}`;
  }

  async function outboxFor(subject: string, orderId: string) {
    const rows = await sql<{ payload: Uint8Array }[]>`select payload from outbox where subject = ${subject}`;
    return rows.filter((row) => {
      const { event } = decodeEvent(subject, row.payload);
      return "orderId" in event && event.orderId === orderId;
    });
  }

  test("tok_visa captures the amount and publishes PaymentCaptured in the outbox", async () => {
    const orderId = randomUUID();
    const { payment } = await client.charge({
      orderId,
      userId: "user-a",
      amount: usd(12, 500_000_000),
      cardToken: "tok_visa",
    });
    assert.equal(payment?.status, PaymentStatus.CAPTURED);
    assert.equal(payment?.orderId, orderId);
    assert.equal(payment?.declineReason, "");
    assert.deepEqual(payment?.amount, usd(12, 500_000_000));
    assert.equal((await rowsFor(orderId)).length, 1);
    assert.equal((await outboxFor("shop.payment.v1.PaymentCaptured", orderId)).length, 1);
  });

  test("tok_chargeDeclined declines with a reason; an unknown token declines as unknown", async () => {
    const declinedOrder = randomUUID();
    const declined = await client.charge({
      orderId: declinedOrder,
      userId: "user-a",
      amount: usd(5),
      cardToken: "tok_chargeDeclined",
    });
    assert.equal(declined.payment?.status, PaymentStatus.DECLINED);
    assert.match(declined.payment?.declineReason ?? "", /declined/);
    assert.equal((await outboxFor("shop.payment.v1.PaymentDeclined", declinedOrder)).length, 1);
    assert.equal((await outboxFor("shop.payment.v1.PaymentCaptured", declinedOrder)).length, 0);

    const unknown = await client.charge({
      orderId: randomUUID(),
      userId: "user-a",
      amount: usd(5),
      cardToken: "tok_somethingElse",
    });
    assert.equal(unknown.payment?.status, PaymentStatus.DECLINED);
    assert.match(unknown.payment?.declineReason ?? "", /unknown/);
  });

  test("a second Charge for the same order returns the first payment and charges nothing", async () => {
    const orderId = randomUUID();
    const first = await client.charge({ orderId, userId: "user-b", amount: usd(7), cardToken: "tok_visa" });
    // Even a token that would decline gets the original outcome back: the card is not charged again.
    const again = await client.charge({
      orderId,
      userId: "user-b",
      amount: usd(7),
      cardToken: "tok_chargeDeclined",
    });
    assert.equal(again.payment?.id, first.payment?.id);
    assert.equal(again.payment?.status, PaymentStatus.CAPTURED);
    assert.equal((await rowsFor(orderId)).length, 1);
    assert.equal((await outboxFor("shop.payment.v1.PaymentCaptured", orderId)).length, 1);
  });

  test("repeating a Charge with a different amount or user is FailedPrecondition", async () => {
    const orderId = randomUUID();
    await client.charge({ orderId, userId: "user-c", amount: usd(3), cardToken: "tok_visa" });
    assert.equal(
      await rejectionCode(
        client.charge({ orderId, userId: "user-c", amount: usd(4), cardToken: "tok_visa" }),
      ),
      Code.FailedPrecondition,
    );
    assert.equal(
      await rejectionCode(
        client.charge({ orderId, userId: "user-x", amount: usd(3), cardToken: "tok_visa" }),
      ),
      Code.FailedPrecondition,
    );
  });

  test("concurrent duplicate charges of one order create exactly one payment", async () => {
    const orderId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        client.charge({ orderId, userId: "user-d", amount: usd(9), cardToken: "tok_visa" }),
      ),
    );
    const ids = new Set(results.map((r) => r.payment?.id));
    assert.equal(ids.size, 1);
    assert.equal((await rowsFor(orderId)).length, 1);
    assert.equal((await outboxFor("shop.payment.v1.PaymentCaptured", orderId)).length, 1);
  });

  test("Refund gives back a captured payment once; repeats return it unchanged", async () => {
    const orderId = randomUUID();
    await client.charge({ orderId, userId: "user-e", amount: usd(20), cardToken: "tok_visa" });
    const refunded = await client.refund({ orderId, reason: "order cancelled" });
    assert.equal(refunded.payment?.status, PaymentStatus.REFUNDED);
    const again = await client.refund({ orderId });
    assert.equal(again.payment?.status, PaymentStatus.REFUNDED);
    assert.equal(again.payment?.id, refunded.payment?.id);
    assert.equal((await outboxFor("shop.payment.v1.PaymentRefunded", orderId)).length, 1);
  });

  test("Refund of a declined payment changes nothing; of an order without payment is NotFound", async () => {
    const orderId = randomUUID();
    await client.charge({ orderId, userId: "user-e", amount: usd(2), cardToken: "tok_chargeDeclined" });
    const refund = await client.refund({ orderId });
    assert.equal(refund.payment?.status, PaymentStatus.DECLINED);
    assert.equal((await outboxFor("shop.payment.v1.PaymentRefunded", orderId)).length, 0);
    assert.equal(await rejectionCode(client.refund({ orderId: randomUUID() })), Code.NotFound);
  });

  test("a Refund that finds no payment voids the order: a later Charge is FailedPrecondition, nothing taken", async () => {
    // The saga compensates a charge that timed out with a Refund; NotFound tells it nothing was taken.
    const orderId = randomUUID();
    assert.equal(await rejectionCode(client.refund({ orderId, reason: "order cancelled" })), Code.NotFound);
    const late = client.charge({ orderId, userId: "user-v", amount: usd(11), cardToken: "tok_visa" });
    await assert.rejects(late, (error: unknown) => {
      const connectError = ConnectError.from(error);
      assert.equal(connectError.code, Code.FailedPrecondition);
      assert.match(connectError.rawMessage, /refunded before it was charged/);
      return true;
    });
    assert.equal((await rowsFor(orderId)).length, 0);
    assert.equal((await outboxFor("shop.payment.v1.PaymentCaptured", orderId)).length, 0);
    // Compensation stays repeatable.
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);
  });

  test("a Charge still at the provider when the Refund comes is given back and refused", async () => {
    const held = createHeldChargeProvider();
    const config = loadPaymentConfig({ PORT: "1", DATABASE_URL: database.url, LOG_LEVEL: "silent" });
    const slow = await startPaymentService(
      { ...config, PORT: 0 },
      { verifier: issuer.verifier, provider: held.provider },
    );
    try {
      const slowClient = createClient(
        PaymentService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${slow.port}` }),
      );
      const orderId = randomUUID();
      const { charge } = await overtakeCharge(slowClient, held, {
        orderId,
        userId: "user-w",
        amount: usd(13),
        cardToken: "tok_visa",
      });
      assert.equal(await charge, Code.FailedPrecondition);
      assert.deepEqual(
        held.refundCalls.map((refund) => refund.idempotencyKey),
        [orderId],
      );
      assert.equal((await rowsFor(orderId)).length, 0);
      assert.equal((await outboxFor("shop.payment.v1.PaymentCaptured", orderId)).length, 0);
      // Given back at once, so nothing is left owed.
      const [owed] =
        await sql`select done_at is not null as done from owed_refunds where order_id = ${orderId}`;
      assert.equal(owed?.done, true);
    } finally {
      await slow.shutdown();
    }
  });

  test("GetPayment answers the owner only; others get NotFound, anonymous callers Unauthenticated", async () => {
    const ownerId = randomUUID();
    const orderId = randomUUID();
    const { payment } = await client.charge({
      orderId,
      userId: ownerId,
      amount: usd(1),
      cardToken: "tok_visa",
    });
    const id = payment?.id ?? "";
    const ownerToken = await issuer.sign({ userId: ownerId, email: "owner@example.com" });
    const otherToken = await issuer.sign({ userId: randomUUID(), email: "other@example.com" });

    const own = await client.getPayment({ id }, { headers: { authorization: `Bearer ${ownerToken}` } });
    assert.equal(own.payment?.orderId, orderId);
    assert.equal(
      await rejectionCode(client.getPayment({ id }, { headers: { authorization: `Bearer ${otherToken}` } })),
      Code.NotFound,
    );
    assert.equal(
      await rejectionCode(
        client.getPayment({ id: "not-a-uuid" }, { headers: { authorization: `Bearer ${ownerToken}` } }),
      ),
      Code.NotFound,
    );
    assert.equal(await rejectionCode(client.getPayment({ id })), Code.Unauthenticated);
  });

  test("bad input is InvalidArgument naming the field", async () => {
    const valid = { orderId: randomUUID(), userId: "user-f", amount: usd(1), cardToken: "tok_visa" };
    const cases: Array<[string, Parameters<typeof client.charge>[0]]> = [
      ["order_id", { ...valid, orderId: "" }],
      ["order_id", { ...valid, orderId: "order-1" }],
      ["user_id", { ...valid, userId: "" }],
      ["amount", { ...valid, amount: usd(0) }],
      ["amount", { ...valid, amount: usd(-1) }],
      ["amount", { ...valid, amount: create(MoneySchema, { currencyCode: "usd", units: 1n }) }],
      ["amount", { ...valid, amount: create(MoneySchema, { currencyCode: "XYZ", units: 1n }) }],
      ["amount", { ...valid, amount: undefined }],
      ["card_token", { ...valid, cardToken: "" }],
      ["user_id", { ...valid, userId: "user\u0000f" }],
      ["user_id", { ...valid, userId: "user\u0007f" }],
      ["user_id", { ...valid, userId: "😀".repeat(129) }],
      ["card_token", { ...valid, cardToken: "tok_visa\u0000" }],
      ["card_token", { ...valid, cardToken: "tok\nvisa" }],
    ];
    for (const [field, request] of cases) {
      try {
        await client.charge(request);
        assert.fail(`expected InvalidArgument for ${field}`);
      } catch (error) {
        const connectError = ConnectError.from(error);
        assert.equal(connectError.code, Code.InvalidArgument, field);
        assert.match(connectError.rawMessage, new RegExp(field));
      }
    }
    assert.equal(await rejectionCode(client.refund({ orderId: "x" })), Code.InvalidArgument);
    // The refund reason's 500-character limit counts characters: 500 emoji pass the check (and find
    // no payment), 501 do not.
    const unpaid = randomUUID();
    assert.equal(
      await rejectionCode(client.refund({ orderId: unpaid, reason: "😀".repeat(500) })),
      Code.NotFound,
    );
    assert.equal(
      await rejectionCode(client.refund({ orderId: unpaid, reason: "😀".repeat(501) })),
      Code.InvalidArgument,
    );
    // Nothing was stored for the rejected requests.
    assert.equal((await rowsFor(valid.orderId)).length, 0);
  });

  test("text limits count characters (code points), not UTF-16 units", async () => {
    // 128 emoji are 128 characters but 256 UTF-16 units: within user_id's 128-character limit.
    const userId = "😀".repeat(128);
    const orderId = randomUUID();
    const { payment } = await client.charge({ orderId, userId, amount: usd(1), cardToken: "tok_visa" });
    assert.equal(payment?.userId, userId);
    assert.equal((await rowsFor(orderId)).length, 1);
  });

  test("the card token is never stored nor logged", async () => {
    const secretToken = "tok_visa";
    const orderId = randomUUID();
    await client.charge({ orderId, userId: "user-g", amount: usd(1), cardToken: secretToken });
    const columns =
      await sql`select column_name from information_schema.columns where table_name = 'payments'`;
    assert.ok(!columns.some((c) => /token|card/.test(String(c.column_name))));
    const stored = await sql`select row_to_json(p)::text as json from payments p where order_id = ${orderId}`;
    assert.ok(!String(stored[0]?.json).includes(secretToken));
    assert.ok(logs.lines.length > 0, "the service logged its calls");
    assert.ok(!logs.lines.some((line) => line.includes(secretToken)));
  });
});
