import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "./config.js";

const schema = z.object({
  ...commonServiceEnv,
  PORT: portVar(8002),
  DATABASE_URL: urlVar(),
  NATS_URL: urlVar("nats://127.0.0.1:4222"),
  LIMITS: z.object({ burst: z.number() }).default({ burst: 5 }),
});

describe("parseConfig", () => {
  it("parses a good environment into typed values with defaults", () => {
    const config = parseConfig(schema, {
      PORT: "9000",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/shop",
      SHUTDOWN_GRACE_MS: "5s",
      METRICS_PORT: "",
      HOST: "127.0.0.1",
    });
    assert.equal(config.PORT, 9000);
    assert.equal(config.DATABASE_URL, "postgres://postgres@127.0.0.1:5432/shop");
    assert.equal(config.NATS_URL, "nats://127.0.0.1:4222");
    assert.equal(config.LOG_LEVEL, "info");
    assert.equal(config.SHUTDOWN_GRACE_MS, 5000);
    assert.equal(config.METRICS_PORT, undefined, "an empty variable counts as unset");
    assert.equal(config.HOST, "127.0.0.1", "the address services hand to startServiceRuntime as `host`");
  });

  it("returns a deeply frozen object", () => {
    const config = parseConfig(schema, { DATABASE_URL: "postgres://h/db" });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.LIMITS));
    assert.throws(() => {
      (config as { PORT: number }).PORT = 1;
    }, TypeError);
  });

  it("names every bad variable and why, without echoing values", () => {
    const error = captureError(() =>
      parseConfig(schema, {
        PORT: "70000",
        LOG_LEVEL: "loud",
        SHUTDOWN_GRACE_MS: "soon",
        NATS_URL: "not a url hunter2",
      }),
    );
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /PORT: expected a number between 1 and 65535/);
    assert.match(error.message, /LOG_LEVEL: expected one of fatal, error/);
    assert.match(error.message, /SHUTDOWN_GRACE_MS: expected a duration/);
    assert.match(error.message, /NATS_URL: expected an absolute URL/);
    assert.match(error.message, /DATABASE_URL: required but not set/);
    assert.equal(error.problems.length, 5);
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it("rejects a non-numeric port with the same message", () => {
    const error = captureError(() => parseConfig(schema, { PORT: "http", DATABASE_URL: "postgres://h/db" }));
    assert.match(String(error), /PORT: expected a number between 1 and 65535/);
  });
});

describe("UPSTREAM_RETRY_ATTEMPTS", () => {
  const parse = (value?: string) =>
    parseConfig(schema, { DATABASE_URL: "postgres://h/db", UPSTREAM_RETRY_ATTEMPTS: value });

  it("defaults to 3 (the client retries when run locally) and accepts 1 (sidecars retry)", () => {
    assert.equal(parse().UPSTREAM_RETRY_ATTEMPTS, 3);
    assert.equal(parse("1").UPSTREAM_RETRY_ATTEMPTS, 1);
  });

  it("rejects zero, fractions and words, naming the variable", () => {
    for (const bad of ["0", "1.5", "many", "11"]) {
      assert.match(
        String(captureError(() => parse(bad))),
        /UPSTREAM_RETRY_ATTEMPTS: expected a whole number of attempts between 1 and 10/,
        bad,
      );
    }
  });
});

describe("durationMsVar", () => {
  it("accepts milliseconds and unit suffixes", () => {
    const d = durationMsVar(100);
    assert.equal(d.parse(undefined), 100);
    assert.equal(d.parse("1500"), 1500);
    assert.equal(d.parse("250ms"), 250);
    assert.equal(d.parse("1.5s"), 1500);
    assert.equal(d.parse("2m"), 120_000);
    assert.equal(d.parse("1h"), 3_600_000);
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  assert.fail("expected an error");
}
