import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createPageTokenCodec,
  positionTimeRange,
  type TimeAndIdPosition,
  timeAndIdFields,
} from "./page-token.js";

const listing = createPageTokenCodec<TimeAndIdPosition>({
  purpose: "test.listing.page-token",
  version: 1,
  ...timeAndIdFields,
});

const position = { createTime: new Date("2025-03-04T05:06:07.089Z"), id: randomUUID() };

function rejects(run: () => unknown, reason: RegExp) {
  assert.throws(
    run,
    (error: unknown) =>
      error instanceof ConnectError &&
      error.code === Code.InvalidArgument &&
      error.rawMessage.startsWith("page_token") &&
      reason.test(error.rawMessage),
  );
}

describe("page tokens", () => {
  it("round-trip the position to the millisecond, with and without a query", () => {
    assert.deepEqual(listing.decode(listing.encode(position)), position);
    assert.deepEqual(listing.decode(listing.encode(position, "lamp"), "lamp"), position);
  });

  it("are opaque: neither the id nor the query text appears in them", () => {
    const token = listing.encode(position, "secret words");
    assert.ok(!token.includes(position.id));
    const body = Buffer.from(token.split(".")[0] ?? "", "base64url").toString();
    assert.ok(!body.includes("secret"));
  });

  it("are bound to the query they were issued for", () => {
    rejects(() => listing.decode(listing.encode(position, "lamp"), "lamps"), /different query/);
    rejects(() => listing.decode(listing.encode(position, "lamp"), ""), /different query/);
    rejects(() => listing.decode(listing.encode(position, "lamp")), /different query/);
    rejects(() => listing.decode(listing.encode(position), "lamp"), /different query/);
  });

  it("are rejected when any character is changed, cut or appended", () => {
    const token = listing.encode(position, "");
    for (let i = 0; i < token.length; i++) {
      const replacement = token[i] === "A" ? "B" : "A";
      rejects(() => listing.decode(`${token.slice(0, i)}${replacement}${token.slice(i + 1)}`, ""), /./);
    }
    rejects(() => listing.decode(token.slice(0, -1), ""), /modified/);
    rejects(() => listing.decode(`${token}.x`, ""), /modified/);
    for (const bad of ["", "x", "a.b.c", `${token.split(".")[0]}.`])
      rejects(() => listing.decode(bad, ""), /modified/);
  });

  it("of another listing or another version are refused", () => {
    const other = createPageTokenCodec<TimeAndIdPosition>({
      ...timeAndIdFields,
      purpose: "other",
      version: 1,
    });
    rejects(() => listing.decode(other.encode(position)), /modified/);
    const next = createPageTokenCodec<TimeAndIdPosition>({
      ...timeAndIdFields,
      purpose: "test.listing.page-token",
      version: 2,
    });
    rejects(() => listing.decode(next.encode(position)), /incompatible version/);
  });

  it("with a well-checksummed but invalid position are refused", () => {
    // Codecs that write whatever fields they are given stand in for a forger who knows the scheme.
    const raw = (fields: Record<string, string | number>) =>
      createPageTokenCodec<Record<string, string | number>>({
        purpose: "test.listing.page-token",
        version: 1,
        toFields: (value) => value,
        fromFields: () => undefined,
      }).encode(fields);
    const invalidPositions: Array<Record<string, string | number>> = [
      { t: 1, id: "not-a-uuid" },
      { t: 1.5, id: position.id },
      { t: "1", id: position.id },
      { id: position.id },
      // Not a Date at all, or a Date that Postgres cannot parse (an expanded ISO year).
      { t: 8640000000000001, id: position.id },
      { t: 8640000000000000, id: position.id },
      { t: -8640000000000000, id: position.id },
      { t: -200000000000000, id: position.id },
      { t: positionTimeRange.min - 1, id: position.id },
      { t: positionTimeRange.max + 1, id: position.id },
    ];
    for (const fields of invalidPositions) {
      rejects(() => listing.decode(raw(fields)), /malformed/);
    }
    for (const t of [1, positionTimeRange.min, positionTimeRange.max]) {
      assert.deepEqual(listing.decode(raw({ t, id: position.id })), {
        createTime: new Date(t),
        id: position.id,
      });
    }
  });
});
