import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pageSizeLimits, resolvePageSize } from "./page-size.js";
import { invalidArgumentMessage } from "./testing/invalid-argument.js";

describe("resolvePageSize", () => {
  it("serves the default for 0, the size asked for up to the maximum, and the maximum above it", () => {
    assert.equal(resolvePageSize(0), pageSizeLimits.default);
    assert.equal(resolvePageSize(1), 1);
    assert.equal(resolvePageSize(pageSizeLimits.max), pageSizeLimits.max);
    assert.equal(resolvePageSize(pageSizeLimits.max + 1), pageSizeLimits.max);
    assert.equal(resolvePageSize(2 ** 31 - 1), pageSizeLimits.max);
  });

  it("refuses a negative size as InvalidArgument naming page_size", () => {
    assert.equal(
      invalidArgumentMessage(() => resolvePageSize(-1)),
      "page_size must not be negative",
    );
  });

  it("keeps the limits the List protos document: 20 by default, 100 at most", () => {
    assert.deepEqual(pageSizeLimits, { default: 20, max: 100 });
  });
});
