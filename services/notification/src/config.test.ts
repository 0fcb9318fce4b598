import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "@shop/platform/config";
import { parseNotificationConfig } from "./config.js";

describe("notification config", () => {
  test("defaults match the deployment: port 8007, own database, local NATS, no namespace", () => {
    const config = parseNotificationConfig({});
    assert.equal(config.PORT, 8007);
    assert.equal(config.DATABASE_URL, "postgres://postgres@127.0.0.1:5432/shop_notification");
    assert.equal(config.NATS_URL, "nats://127.0.0.1:4222");
    assert.equal(config.EVENTS_NAMESPACE, undefined);
    assert.equal(config.EVENT_RETRY_INITIAL_MS, 1000);
  });

  test("an empty EVENTS_NAMESPACE is production (none); one that would widen subjects is refused", () => {
    assert.equal(parseNotificationConfig({ EVENTS_NAMESPACE: "" }).EVENTS_NAMESPACE, undefined);
    assert.equal(parseNotificationConfig({ EVENTS_NAMESPACE: "run_1" }).EVENTS_NAMESPACE, "run_1");
    for (const bad of ["a.b", "a>", "*"]) {
      assert.throws(
        () => parseNotificationConfig({ EVENTS_NAMESPACE: bad }),
        (error: unknown) => error instanceof ConfigError && /EVENTS_NAMESPACE/.test(error.message),
      );
    }
  });

  test("bad numbers name their variable", () => {
    assert.throws(() => parseNotificationConfig({ EVENT_MAX_DELIVER: "0" }), /EVENT_MAX_DELIVER/);
    assert.throws(() => parseNotificationConfig({ NATS_URL: "not a url" }), /NATS_URL/);
    assert.throws(() => parseNotificationConfig({ EVENT_RETRY_MAX_MS: "soon" }), /EVENT_RETRY_MAX_MS/);
  });
});
