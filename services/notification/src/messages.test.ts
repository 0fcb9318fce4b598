import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { formatMoney, orderCancelledMessage, orderConfirmedMessage, shortOrderId } from "./messages.js";

const money = (currencyCode: string, units: bigint, nanos: number) =>
  create(MoneySchema, { currencyCode, units, nanos });

describe("notification messages", () => {
  test("amounts use the currency's decimals from units and nanos, never a float", () => {
    assert.equal(formatMoney(money("USD", 64n, 500_000_000)), "USD 64.50");
    assert.equal(formatMoney(money("USD", 0n, 5_000_000)), "USD 0.00");
    assert.equal(formatMoney(money("EUR", 1n, 990_000_000)), "EUR 1.99");
    assert.equal(formatMoney(money("JPY", 1200n, 0)), "JPY 1200");
    assert.equal(formatMoney(money("USD", 9_007_199_254_740_993n, 10_000_000)), "USD 9007199254740993.01");
    assert.equal(formatMoney(money("USD", -3n, -250_000_000)), "USD -3.25");
    assert.equal(formatMoney(money("USD", 0n, -250_000_000)), "USD -0.25");
  });

  test("an unknown currency code still formats, with two decimals", () => {
    assert.equal(formatMoney(money("ZZZ", 7n, 100_000_000)), "ZZZ 7.10");
  });

  test("order ids are shortened to their first eight characters", () => {
    assert.equal(shortOrderId("1234abcd-0000-4000-8000-000000000000"), "1234abcd");
    assert.equal(shortOrderId("42"), "42");
  });

  test("a confirmation names the order and its total when there is one", () => {
    const id = "1234abcd-0000-4000-8000-000000000000";
    assert.equal(
      orderConfirmedMessage(id, money("USD", 64n, 500_000_000)),
      "Your order 1234abcd is confirmed: total USD 64.50.",
    );
    assert.equal(orderConfirmedMessage(id, undefined), "Your order 1234abcd is confirmed.");
  });

  test("a cancellation carries the reason on one bounded line", () => {
    const id = "feedbeef-0000-4000-8000-000000000000";
    assert.equal(
      orderCancelledMessage(id, "payment declined"),
      "Your order feedbeef was cancelled: payment declined",
    );
    assert.equal(orderCancelledMessage(id, "  \n "), "Your order feedbeef was cancelled.");
    assert.equal(
      orderCancelledMessage(id, "out of\nstock:\t p1"),
      "Your order feedbeef was cancelled: out of stock: p1",
    );
    const long = orderCancelledMessage(id, "x".repeat(1000));
    assert.ok(long.length < 400, `bounded, got ${long.length} characters`);
    assert.ok(long.endsWith("…"));
  });
});
