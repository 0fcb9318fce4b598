import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { maxNameChars, validateName, validatePrice, validateQuery } from "./validate.js";

function rejects(run: () => unknown, field: string) {
  assert.throws(
    run,
    (error: unknown) =>
      error instanceof ConnectError &&
      error.code === Code.InvalidArgument &&
      error.rawMessage.startsWith(`${field} `),
  );
}

const money = (units: bigint, nanos: number, currencyCode = "USD") =>
  create(MoneySchema, { currencyCode, units, nanos });

describe("product validation", () => {
  it("counts name length in Unicode characters, after trimming", () => {
    const emoji = "😀".repeat(maxNameChars);
    assert.equal(validateName("n", ` ${emoji} `), emoji);
    rejects(() => validateName("n", `${emoji}x`), "n");
  });

  it("accepts prices from zero to the largest nanos, and rejects each broken rule by its field", () => {
    assert.deepEqual(validatePrice("p", money(0n, 0)), { currencyCode: "USD", units: 0n, nanos: 0 });
    assert.equal(validatePrice("p", money(3n, 999_999_999)).nanos, 999_999_999);
    rejects(() => validatePrice("p", undefined), "p");
    rejects(() => validatePrice("p", money(1n, 0, "US1")), "p.currency_code");
    rejects(() => validatePrice("p", money(1n, 0, "XYZ")), "p.currency_code");
    rejects(() => validatePrice("p", money(1n, 0, "eur")), "p.currency_code");
    for (const code of ["EUR", "JPY", "CHF", "GBP"])
      assert.equal(validatePrice("p", money(1n, 0, code)).currencyCode, code);
    rejects(() => validatePrice("p", money(-2n, 0)), "p.units");
    rejects(() => validatePrice("p", money(-2n, -5)), "p.units");
    rejects(() => validatePrice("p", money(2n, -5)), "p.nanos");
    rejects(() => validatePrice("p", money(0n, -5)), "p.nanos");
    rejects(() => validatePrice("p", money(0n, 1_000_000_000)), "p.nanos");
  });

  it("trims the query and limits it to 200 characters", () => {
    assert.equal(validateQuery("  lamp "), "lamp");
    assert.equal(validateQuery(" ".repeat(500)), "");
    rejects(() => validateQuery("q".repeat(201)), "query");
  });
});
