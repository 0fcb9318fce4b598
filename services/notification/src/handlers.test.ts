import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { effectivePageSize, pageSizeLimits } from "./handlers.js";

describe("ListNotifications page size", () => {
  test("0 means the default, sizes above the maximum are capped, others are kept", () => {
    assert.equal(effectivePageSize(0), pageSizeLimits.default);
    assert.equal(effectivePageSize(1), 1);
    assert.equal(effectivePageSize(pageSizeLimits.max), pageSizeLimits.max);
    assert.equal(effectivePageSize(pageSizeLimits.max + 1), pageSizeLimits.max);
    assert.equal(effectivePageSize(2 ** 31 - 1), pageSizeLimits.max);
  });

  test("a negative size is INVALID_ARGUMENT naming page_size", () => {
    assert.throws(
      () => effectivePageSize(-1),
      (error: unknown) =>
        error instanceof ConnectError &&
        error.code === Code.InvalidArgument &&
        /page_size/.test(error.rawMessage),
    );
  });
});
