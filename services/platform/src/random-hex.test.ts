import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomHex } from "./random-hex.js";

describe("random hex ids", () => {
  it("gives ids of the asked length in lowercase hex, all different, across pool refills", () => {
    const seen = new Set<string>();
    // 3000 × 24 bytes is more than 17 refills of the 4 KiB pool.
    for (let i = 0; i < 3000; i++) {
      const traceId = randomHex(16);
      const spanId = randomHex(8);
      assert.match(traceId, /^[0-9a-f]{32}$/);
      assert.match(spanId, /^[0-9a-f]{16}$/);
      seen.add(traceId);
      seen.add(spanId);
    }
    assert.equal(seen.size, 6000);
  });

  it("spreads its bytes: every hex digit turns up in every position of a trace id", () => {
    const digits = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const id = randomHex(16);
      for (let p = 0; p < 32; p++) digits[p]?.add(id[p] as string);
    }
    for (const position of digits) assert.equal(position.size, 16);
  });
});
