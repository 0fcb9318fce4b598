import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "@shop/platform/config";
import { parseInventoryConfig } from "./config.js";

function problems(env: Record<string, string>): string {
  try {
    parseInventoryConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

describe("inventory config: release markers", () => {
  test("markers are kept 24 h and purged hourly by default", () => {
    const config = parseInventoryConfig({});
    assert.equal(config.RELEASE_MARKER_RETENTION_MS, 24 * 3_600_000);
    assert.equal(config.RELEASE_MARKER_PURGE_INTERVAL_MS, 3_600_000);
  });

  test("durations with a unit are read as such", () => {
    const config = parseInventoryConfig({
      RELEASE_MARKER_RETENTION_MS: "2h",
      RELEASE_MARKER_PURGE_INTERVAL_MS: "10m",
    });
    assert.equal(config.RELEASE_MARKER_RETENTION_MS, 2 * 3_600_000);
    assert.equal(config.RELEASE_MARKER_PURGE_INTERVAL_MS, 10 * 60_000);
  });

  test("a retention under an hour is refused at start-up, naming the variable", () => {
    // "24" meant as hours is 24 ms: markers would vanish before a late ReserveStock arrives.
    for (const value of ["24", "59m", "5s"]) {
      assert.match(
        problems({ RELEASE_MARKER_RETENTION_MS: value }),
        /RELEASE_MARKER_RETENTION_MS: expected at least 1h/,
      );
    }
    assert.equal(
      parseInventoryConfig({ RELEASE_MARKER_RETENTION_MS: "1h" }).RELEASE_MARKER_RETENTION_MS,
      3_600_000,
    );
  });

  test("a purge interval under a second, or no duration at all, is refused naming the variable", () => {
    assert.match(
      problems({ RELEASE_MARKER_PURGE_INTERVAL_MS: "0" }),
      /RELEASE_MARKER_PURGE_INTERVAL_MS: expected at least 1s/,
    );
    assert.match(
      problems({ RELEASE_MARKER_RETENTION_MS: "a day" }),
      /RELEASE_MARKER_RETENTION_MS: expected a duration/,
    );
  });
});
