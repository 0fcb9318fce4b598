import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "./log.js";
import { createLogSink, pluck } from "./testing/log-sink.js";

describe("createLogger", () => {
  it("writes JSON with service, ISO time and a textual level", () => {
    const out = createLogSink();
    const logger = createLogger({ service: "product", level: "info", destination: out.stream });
    logger.info({ productId: "p1" }, "created");
    logger.debug("hidden below the level");
    const [record, ...rest] = out.records();
    assert.equal(rest.length, 0);
    assert.equal(record?.service, "product");
    assert.equal(record?.level, "info");
    assert.equal(record?.msg, "created");
    assert.equal(record?.productId, "p1");
    assert.match(String(record?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("redacts secrets at the top level and nested, in plain and child loggers", () => {
    const out = createLogSink();
    const logger = createLogger({ service: "user", level: "info", destination: out.stream });
    logger.info(
      {
        password: "hunter2-top",
        user: { email: "a@example.com", passwordHash: "argon-hash-secret" },
        payment: { card: { cardToken: "tok_visa_secret", card_token: "tok_snake_secret" } },
        call: { request: { headers: { authorization: "Bearer jwt-secret", cookie: "sid=cookie-secret" } } },
        accessToken: "access-secret",
      },
      "login",
    );
    logger.child({ trace_id: "t1" }).warn({ privateKey: "pem-secret", secret: "s3cr3t" }, "keys");
    const text = out.lines.join("\n");
    for (const leaked of ["hunter2", "argon-hash", "tok_visa", "tok_snake", "jwt-secret", "cookie-secret"]) {
      assert.doesNotMatch(text, new RegExp(leaked), `${leaked} must not be logged`);
    }
    for (const leaked of ["access-secret", "pem-secret", "s3cr3t"]) {
      assert.doesNotMatch(text, new RegExp(leaked), `${leaked} must not be logged`);
    }
    const [first, second] = out.records();
    assert.equal(pluck(first, "password"), "[redacted]");
    assert.equal(pluck(first, "user.passwordHash"), "[redacted]");
    assert.equal(pluck(first, "user.email"), "a@example.com", "non-secret fields stay readable");
    assert.equal(pluck(first, "payment.card.cardToken"), "[redacted]");
    assert.equal(pluck(first, "call.request.headers.authorization"), "[redacted]");
    assert.equal(pluck(first, "accessToken"), "[redacted]");
    assert.equal(pluck(second, "privateKey"), "[redacted]");
    assert.equal(pluck(second, "trace_id"), "t1");
  });
});

describe("createLogger redaction beyond the usual shapes", () => {
  it("hides secrets deep down, in arrays, in errors and in child bindings, matching names in any case", () => {
    const out = createLogSink();
    const logger = createLogger({ service: "edge", level: "info", destination: out.stream });
    const error = Object.assign(new Error("upstream refused"), {
      request: { headers: { Authorization: "Bearer error-secret" } },
    });
    const live = { a: { b: { c: { d: { e: { token: "deep-secret" } } } } } };
    logger.info({ err: error, live, calls: [{ cardToken: "array-secret" }] }, "failed");
    logger.child({ session: { secret: "binding-secret" } }).info("bound");
    const text = out.lines.join("\n");
    for (const leaked of ["error-secret", "deep-secret", "array-secret", "binding-secret"]) {
      assert.doesNotMatch(text, new RegExp(leaked), `${leaked} must not be logged`);
    }
    const [first] = out.records();
    assert.equal(pluck(first, "err.message"), "upstream refused", "the error stays readable");
    assert.equal(pluck(first, "err.type"), "Error");
    assert.match(String(pluck(first, "err.stack")), /upstream refused/);
    assert.equal(pluck(first, "err.request.headers.Authorization"), "[redacted]");
    assert.equal(pluck(first, "live.a.b.c.d.e.token"), "[redacted]");
    assert.equal(live.a.b.c.d.e.token, "deep-secret", "the caller's object is not modified");
    assert.equal(error.request.headers.Authorization, "Bearer error-secret");
  });
});
