import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createPageTokenCodec } from "@shop/platform/page-token";
import { type CheckoutSystem, startCheckoutSystem } from "./checkout-harness.js";

const address = { name: "Ada Lovelace", line1: "1 Analytical St", city: "London", country: "GB" };

/** The code and message a call fails with, or undefined when it succeeds. */
async function failure(call: Promise<unknown>): Promise<{ code: Code; message: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    const { code, rawMessage } = ConnectError.from(error);
    return { code, message: rawMessage };
  }
}

/**
 * Hostile and odd input that once reached Postgres or the int64 encoder and came back as INTERNAL.
 * Every case here must be a client-fault code naming what is wrong, over real gRPC and a real order
 * database, exactly as a caller sees it.
 */
describe("order service: bad input is the caller's error, never INTERNAL", () => {
  let system: CheckoutSystem;

  before(async () => {
    // No saga runs: orders stay PENDING, so every order here can still be cancelled.
    system = await startCheckoutSystem({ autoDrive: false });
  });
  after(async () => {
    await system?.stop();
  });

  async function placeOrder(
    shopper: { options: { headers: Record<string, string> } },
    change: { cardToken?: string; shippingAddress?: Partial<typeof address> & Record<string, string> },
  ) {
    return system.clients.order.placeOrder(
      {
        payment: { cardToken: change.cardToken ?? "tok_visa" },
        shippingAddress: { ...address, ...change.shippingAddress },
        idempotencyKey: randomUUID(),
      },
      shopper.options,
    );
  }

  async function shopperWithCart() {
    const shopper = await system.shopper();
    const cup = await system.createProduct(2, 100);
    await system.clients.cart.addItem({ productId: cup, quantity: 1 }, shopper.options);
    return shopper;
  }

  test("a page token with an out-of-range time is INVALID_ARGUMENT, in range it pages", async () => {
    const shopper = await system.shopper();
    const id = randomUUID();
    // Old unsigned tokens and tokens re-checksummed by someone who knows the scheme: neither may
    // carry a time that is no Date, or one the database cannot parse.
    const forged = createPageTokenCodec<Record<string, number | string>>({
      purpose: "shop.order.v1.page-token",
      version: 1,
      toFields: (fields) => fields,
      fromFields: () => undefined,
    });
    for (const t of [8640000000000001, 8640000000000000, -8640000000000000, -200000000000000]) {
      for (const pageToken of [
        Buffer.from(JSON.stringify({ t, i: id })).toString("base64url"),
        forged.encode({ t, id }),
      ]) {
        const failed = await failure(system.clients.order.listOrders({ pageToken }, shopper.options));
        assert.equal(failed?.code, Code.InvalidArgument, `t=${t}: ${failed?.message}`);
        assert.match(failed?.message ?? "", /^page_token/);
      }
    }
    for (const t of [Date.parse("0001-01-01T00:00:00.000Z"), Date.parse("9999-12-31T23:59:59.999Z")]) {
      const page = await system.clients.order.listOrders(
        { pageToken: forged.encode({ t, id }) },
        shopper.options,
      );
      assert.equal(page.orders.length, 0, `t=${t}`);
    }
  });

  test("an order total beyond int64 units is FAILED_PRECONDITION, the largest one is placed", async () => {
    const { product } = await system.clients.product.createProduct(
      {
        product: {
          name: `Priceless ${randomUUID().slice(0, 8)}`,
          price: { currencyCode: "EUR", units: 9223372036854775807n, nanos: 999999999 },
        },
      },
      system.admin,
    );
    assert.ok(product);
    await system.clients.inventory.setStock({ productId: product.id, available: 10 }, system.admin);

    const greedy = await system.shopper();
    await system.clients.cart.addItem({ productId: product.id, quantity: 2 }, greedy.options);
    const failed = await failure(placeOrder(greedy, {}));
    assert.equal(failed?.code, Code.FailedPrecondition, failed?.message);
    assert.match(failed?.message ?? "", /exceeds the largest amount/);

    const modest = await system.shopper();
    await system.clients.cart.addItem({ productId: product.id, quantity: 1 }, modest.options);
    const { order } = await placeOrder(modest, {});
    assert.deepEqual(
      { units: order?.total?.units, nanos: order?.total?.nanos },
      { units: 9223372036854775807n, nanos: 999999999 },
    );
  });

  test("a raw card number as card token is INVALID_ARGUMENT and nothing is stored", async () => {
    const shopper = await shopperWithCart();
    for (const cardToken of [
      "4242424242424242",
      "4242 4242 4242 4242",
      "4000-0566-5566-5556",
      "378282246310005",
    ]) {
      const failed = await failure(placeOrder(shopper, { cardToken }));
      assert.equal(failed?.code, Code.InvalidArgument, `${cardToken}: ${failed?.message}`);
      assert.match(failed?.message ?? "", /^payment\.card_token .*payment provider/);
      assert.ok(!failed?.message.includes(cardToken), "the error must not echo the card number");
    }
    const stored = await system.orderSql`select id from orders where user_id = ${shopper.userId}`;
    assert.equal(stored.length, 0);
    const { order } = await placeOrder(shopper, { cardToken: "tok_visa" });
    assert.ok(order?.id, "a provider token is still accepted");
  });

  test("NUL and other control characters are INVALID_ARGUMENT naming the field", async () => {
    const shopper = await shopperWithCart();
    const cases: Array<[string, Parameters<typeof placeOrder>[1]]> = [
      ["shipping_address.name", { shippingAddress: { name: "A\u0000da" } }],
      ["shipping_address.line1", { shippingAddress: { line1: "1 Main\u0000St" } }],
      ["shipping_address.line2", { shippingAddress: { line2: "\u0000" } }],
      ["shipping_address.city", { shippingAddress: { city: "Lon\u0000don" } }],
      ["shipping_address.region", { shippingAddress: { region: "x\u0000" } }],
      ["shipping_address.postal_code", { shippingAddress: { postalCode: "1\u00002" } }],
      ["shipping_address.name", { shippingAddress: { name: "A\u0001da" } }],
      ["shipping_address.city", { shippingAddress: { city: "Lon\u007fdon" } }],
      ["shipping_address.line1", { shippingAddress: { line1: "1 Main\u0085St" } }],
      ["payment.card_token", { cardToken: "tok_\u0000visa" }],
      ["payment.card_token", { cardToken: "tok_\u001bvisa" }],
    ];
    for (const [field, change] of cases) {
      const failed = await failure(placeOrder(shopper, change));
      assert.equal(failed?.code, Code.InvalidArgument, `${field}: ${failed?.message}`);
      assert.match(failed?.message ?? "", new RegExp(`^${field.replace(".", "\\.")} .*control characters`));
    }

    const { order } = await placeOrder(shopper, { shippingAddress: { name: "Zoë 😀 O'Brien-Łukasz" } });
    assert.ok(order);
    for (const reason of ["a\u0000b", "line\u0001", "tab\there"]) {
      const failed = await failure(
        system.clients.order.cancelOrder({ id: order.id, reason }, shopper.options),
      );
      assert.equal(failed?.code, Code.InvalidArgument, `${JSON.stringify(reason)}: ${failed?.message}`);
      assert.match(failed?.message ?? "", /^reason .*control characters/);
    }
  });

  test("the cancel reason's 500-character limit counts characters, not UTF-16 units", async () => {
    const shopper = await shopperWithCart();
    const { order } = await placeOrder(shopper, {});
    assert.ok(order);
    const tooLong = await failure(
      system.clients.order.cancelOrder({ id: order.id, reason: "😀".repeat(501) }, shopper.options),
    );
    assert.equal(tooLong?.code, Code.InvalidArgument);
    assert.match(tooLong?.message ?? "", /^reason must be at most 500 characters/);
    const { order: cancelled } = await system.clients.order.cancelOrder(
      { id: order.id, reason: "😀".repeat(500) },
      shopper.options,
    );
    assert.equal(cancelled?.statusReason, "😀".repeat(500));
  });
});
