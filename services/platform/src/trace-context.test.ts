import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatTraceparent, newSpanId, parseTraceparent, traceIdFrom } from "./trace-context.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

describe("trace context", () => {
  it("parses a valid traceparent", () => {
    assert.deepEqual(parseTraceparent(`00-${traceId}-00f067aa0ba902b7-01`), {
      traceId,
      parentId: "00f067aa0ba902b7",
      flags: "01",
    });
  });

  it("rejects malformed, upper-case, all-zero and forbidden-version values", () => {
    for (const bad of [
      undefined,
      "",
      "garbage",
      `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `00-${traceId}-${"0".repeat(16)}-01`,
      `ff-${traceId}-00f067aa0ba902b7-01`,
      `00-${traceId}-00f067aa0ba902b7-01-extra`,
      `00-${traceId.slice(1)}-00f067aa0ba902b7-01`,
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });

  it("traceIdFrom keeps a valid id and invents one otherwise", () => {
    assert.equal(traceIdFrom(new Headers({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` })), traceId);
    const fresh = traceIdFrom(new Headers());
    assert.match(fresh, /^[0-9a-f]{32}$/);
    assert.notEqual(fresh, traceIdFrom(new Headers()));
  });

  it("formats a traceparent that parses back", () => {
    const spanId = newSpanId();
    assert.deepEqual(parseTraceparent(formatTraceparent(traceId, spanId, "01")), {
      traceId,
      parentId: spanId,
      flags: "01",
    });
  });
});
