import type { Code } from "@connectrpc/connect";
import { codeOf } from "../rpc-code.js";

/**
 * The gRPC code a call's promise rejects with, or undefined when it resolves. Why undefined rather
 * than a failure: tests compare it with `assert.equal`, so a call that wrongly succeeds shows up as
 * `undefined !== NotFound` next to the code that was expected.
 */
export async function rejectionCode(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return codeOf(error);
  }
}
