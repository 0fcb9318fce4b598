import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { httpStatusOf } from "./error-status.js";

describe("gRPC code → HTTP status", () => {
  it("follows the standard mapping", () => {
    const expected: Array<[Code, number]> = [
      [Code.InvalidArgument, 400],
      [Code.FailedPrecondition, 400],
      [Code.OutOfRange, 400],
      [Code.Unauthenticated, 401],
      [Code.PermissionDenied, 403],
      [Code.NotFound, 404],
      [Code.AlreadyExists, 409],
      [Code.Aborted, 409],
      [Code.ResourceExhausted, 429],
      [Code.Canceled, 499],
      [Code.Unimplemented, 501],
      [Code.Unavailable, 503],
      [Code.DeadlineExceeded, 504],
      [Code.Internal, 500],
      [Code.Unknown, 500],
      [Code.DataLoss, 500],
    ];
    for (const [code, status] of expected) assert.equal(httpStatusOf(code), status, Code[code]);
  });
});
