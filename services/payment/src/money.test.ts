import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { chargeAmountProblem, sameMoney } from "./money.js";

const money = (currencyCode: string, units: bigint, nanos = 0) =>
  create(MoneySchema, { currencyCode, units, nanos });

test("positive, well-formed amounts are accepted", () => {
  assert.equal(chargeAmountProblem(money("USD", 1n)), undefined);
  assert.equal(chargeAmountProblem(money("EUR", 0n, 1)), undefined);
});

test("missing, zero, negative, mixed-sign and malformed amounts are refused with a reason", () => {
  assert.match(chargeAmountProblem(undefined) ?? "", /required/);
  assert.match(chargeAmountProblem(money("USD", 0n)) ?? "", /positive/);
  assert.match(chargeAmountProblem(money("USD", -2n)) ?? "", /positive/);
  assert.match(chargeAmountProblem(money("USD", 1n, -5)) ?? "", /same sign/);
  assert.match(chargeAmountProblem(money("USD", 1n, 1_000_000_000)) ?? "", /nanos/);
  assert.match(chargeAmountProblem(money("usd", 1n)) ?? "", /currency_code/);
  assert.match(chargeAmountProblem(money("", 1n)) ?? "", /currency_code/);
  // Three capitals are not enough: the code must be one ISO 4217 (as the runtime's ICU knows it) has.
  assert.match(chargeAmountProblem(money("XYZ", 1n)) ?? "", /currency_code/);
  assert.match(chargeAmountProblem(money("XXX", 1n)) ?? "", /currency_code/);
  assert.equal(chargeAmountProblem(money("JPY", 1n)), undefined);
});

test("sameMoney compares currency, units and nanos exactly", () => {
  assert.equal(sameMoney(money("USD", 1n, 5), money("USD", 1n, 5)), true);
  assert.equal(sameMoney(money("USD", 1n, 5), money("EUR", 1n, 5)), false);
  assert.equal(sameMoney(money("USD", 1n, 5), money("USD", 1n, 6)), false);
  assert.equal(sameMoney(money("USD", 1n), money("USD", 2n)), false);
});
