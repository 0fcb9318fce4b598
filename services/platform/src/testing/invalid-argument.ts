import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Runs `run` and returns the raw message of the InvalidArgument it throws; fails the test when it
 * returns, or throws anything else. Why return the message: tests of request validation pin the
 * wording callers see (the field first, then the problem), not only the code.
 */
export function invalidArgumentMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
    assert.equal(error.code, Code.InvalidArgument, `expected InvalidArgument, got ${Code[error.code]}`);
    return error.rawMessage;
  }
  assert.fail("expected InvalidArgument, but nothing was thrown");
}
