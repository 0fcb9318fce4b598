import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ListProductsResponseSchema, ProductSchema } from "@shop/gen/shop/product/v1/product_pb";

/**
 * What `patches/@bufbuild+protobuf+2.13.0.patch` changes in the protobuf runtime: per-message work
 * that the edge paid on every transcoded response. Unpatched, decoding built a Map of all fields
 * for every message (and two more empty Maps), and every Timestamp parsed two date strings; both
 * tests below fail then. The output must not change, which the last test pins.
 */
const product = create(ProductSchema, {
  id: "0b8a5f5e-9d7c-4a53-b3c4-1f7f2b3f8e11",
  name: "Walnut desk lamp",
  price: { currencyCode: "EUR", units: 49n, nanos: 900_000_000 },
  createTime: timestampFromMs(Date.UTC(2026, 11, 3, 6, 1, 2, 345)),
});
const page = toBinary(
  ListProductsResponseSchema,
  create(ListProductsResponseSchema, { products: Array.from({ length: 50 }, () => product) }),
);

/** Runs `work` with `globalThis.Map` counting how many Maps are constructed. */
function countMaps(work: () => void): number {
  const RealMap = globalThis.Map;
  let made = 0;
  globalThis.Map = class CountedMap<K, V> extends RealMap<K, V> {
    constructor(entries?: Iterable<readonly [K, V]> | null) {
      super(entries);
      made++;
    }
  } as MapConstructor;
  try {
    work();
  } finally {
    globalThis.Map = RealMap;
  }
  return made;
}

describe("protobuf runtime, as patched", () => {
  it("decodes and encodes to JSON a page of 50 products without a Map per message", () => {
    fromBinary(ListProductsResponseSchema, page); // field indexes of these message types, built once
    const made = countMaps(() =>
      toJson(ListProductsResponseSchema, fromBinary(ListProductsResponseSchema, page), {
        alwaysEmitImplicit: true,
      }),
    );
    // 50 products, each with a Money and a Timestamp: 151 messages decoded and 151 written.
    assert.ok(made < 20, `${made} Maps were made for one page`);
  });

  it("encodes Timestamps to JSON without parsing dates", () => {
    const realParse = Date.parse;
    let parses = 0;
    Date.parse = (text: string) => {
      parses++;
      return realParse(text);
    };
    try {
      for (let i = 0; i < 10; i++) toJson(ProductSchema, product);
    } finally {
      Date.parse = realParse;
    }
    assert.equal(parses, 0);
  });

  it("writes the same proto3 JSON, and still refuses Timestamps out of range", () => {
    assert.deepEqual(toJson(ProductSchema, product), {
      id: "0b8a5f5e-9d7c-4a53-b3c4-1f7f2b3f8e11",
      name: "Walnut desk lamp",
      price: { currencyCode: "EUR", units: "49", nanos: 900000000 },
      createTime: "2026-12-03T06:01:02.345Z",
    });
    const tooLate = create(ProductSchema, { createTime: { seconds: 253_402_300_800n, nanos: 0 } });
    assert.throws(() => toJson(ProductSchema, tooLate), /must be from 0001-01-01T00:00:00Z to 9999-12-31/);
  });
});
