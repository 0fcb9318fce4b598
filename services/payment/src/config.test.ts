import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "@shop/platform/config";
import { loadPaymentConfig } from "./config.js";

function problems(env: Record<string, string>): string {
  try {
    loadPaymentConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

describe("payment config: a charge's deadline and in-flight margin", () => {
  test("10 s and a minute by default; durations with a unit are read as such", () => {
    const defaults = loadPaymentConfig({});
    assert.equal(defaults.CARD_CHARGE_TIMEOUT_MS, 10_000);
    assert.equal(defaults.CHARGE_IN_FLIGHT_MARGIN_MS, 60_000);
    const set = loadPaymentConfig({ CARD_CHARGE_TIMEOUT_MS: "5s", CHARGE_IN_FLIGHT_MARGIN_MS: "1s" });
    assert.equal(set.CARD_CHARGE_TIMEOUT_MS, 5000);
    assert.equal(set.CHARGE_IN_FLIGHT_MARGIN_MS, 1000);
  });

  test("a margin under a second is refused at start-up, naming the variable", () => {
    // With none, a provider that answers a moment after the Charge gave up could capture after a
    // "nothing captured" the worker took as final.
    for (const value of ["0", "999", "500ms"]) {
      assert.match(
        problems({ CHARGE_IN_FLIGHT_MARGIN_MS: value }),
        /CHARGE_IN_FLIGHT_MARGIN_MS: expected at least 1s/,
      );
    }
  });
});
