import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import * as esmRuntime from "@bufbuild/protobuf";
import { create, createFileRegistry, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  Int32ValueSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  UInt64ValueSchema,
} from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { SetStockRequestSchema } from "@shop/gen/shop/inventory/v1/inventory_pb";

/**
 * What `patches/@bufbuild+protobuf+2.13.0.patch` changes in the runtime's proto3 JSON parser: numbers
 * given as strings were read with `Number()` and `BigInt()`, which also read JavaScript's hexadecimal,
 * octal and binary literals, so `PUT /v1/inventory/{id}` with `{"available":"0x10"}` set the stock to
 * 16. Proto3 JSON numbers are decimal; these tests fail on the unpatched runtime. Both of its builds
 * are tested: the services and the edge load the ES module one, CommonJS callers the other.
 */
type FromJson = typeof esmRuntime.fromJson;
const builds: Record<string, FromJson> = {
  "ES module build": esmRuntime.fromJson,
  "CommonJS build": (createRequire(import.meta.url)("@bufbuild/protobuf") as typeof esmRuntime).fromJson,
};

/** Map fields of the test message: name, JSON name, entry message, key type. */
const maps = [
  ["by_int32", "byInt32", "ByInt32Entry", Type.INT32],
  ["by_int64", "byInt64", "ByInt64Entry", Type.INT64],
  ["by_string", "byString", "ByStringEntry", Type.STRING],
] as const;

/** One field of every number kind, plus lists, maps and the string kinds that must not change. */
const numbers = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "shop/testing/v1/numbers.proto",
    package: "shop.testing.v1",
    syntax: "proto3",
    messageType: [
      {
        name: "Numbers",
        field: [
          ...(
            [
              ["int32", Type.INT32],
              ["uint32", Type.UINT32],
              ["sint32", Type.SINT32],
              ["fixed32", Type.FIXED32],
              ["sfixed32", Type.SFIXED32],
              ["int64", Type.INT64],
              ["uint64", Type.UINT64],
              ["sint64", Type.SINT64],
              ["fixed64", Type.FIXED64],
              ["sfixed64", Type.SFIXED64],
              ["double", Type.DOUBLE],
              ["float", Type.FLOAT],
              ["string", Type.STRING],
              ["bytes", Type.BYTES],
            ] as const
          ).map(([name, type], i) => ({ name, jsonName: name, number: i + 1, type, label: Label.OPTIONAL })),
          { name: "int64s", jsonName: "int64s", number: 20, type: Type.INT64, label: Label.REPEATED },
          ...maps.map(([name, jsonName, entry], i) => ({
            name,
            jsonName,
            number: 21 + i,
            type: Type.MESSAGE,
            typeName: `.shop.testing.v1.Numbers.${entry}`,
            label: Label.REPEATED,
          })),
        ],
        nestedType: maps.map(([, , entry, keyType]) => ({
          name: entry,
          options: { mapEntry: true },
          field: [
            { name: "key", jsonName: "key", number: 1, type: keyType, label: Label.OPTIONAL },
            { name: "value", jsonName: "value", number: 2, type: Type.INT32, label: Label.OPTIONAL },
          ],
        })),
      },
    ],
  }),
  () => undefined,
).getMessage("shop.testing.v1.Numbers") as DescMessage;

const nonDecimal = ["0x10", "0X10", "0o7", "0O7", "0b11", "0B11"];
const numberKinds = [
  ...["int32", "uint32", "sint32", "fixed32", "sfixed32"],
  ...["int64", "uint64", "sint64", "fixed64", "sfixed64"],
  ...["double", "float"],
];

for (const [build, fromJson] of Object.entries(builds)) {
  /** Asserts that `json` is refused with the runtime's usual error, naming `field` and the value. */
  const assertRefused = (schema: DescMessage, json: JsonValue, field: string, value: string) =>
    assert.throws(
      () => fromJson(schema, json),
      (error: Error) =>
        error.message.startsWith(`cannot decode field ${field} from JSON: `) &&
        error.message.includes(`"${value}"`),
      `${JSON.stringify(json)} was accepted`,
    );

  describe(`protobuf runtime's proto3 JSON numbers, ${build}`, () => {
    it('refuses "0x10", "0o7" and "0b11" for an int32 (SetStockRequest.available)', () => {
      for (const value of nonDecimal) {
        assertRefused(
          SetStockRequestSchema,
          { productId: "p1", available: value },
          "shop.inventory.v1.SetStockRequest.available",
          value,
        );
      }
    });

    it("refuses them for an int64 (Money.units), whose strings BigInt() read, whitespace around or not", () => {
      for (const value of [...nonDecimal, " 0x10", "0x10 "]) {
        assertRefused(
          MoneySchema,
          { currencyCode: "EUR", units: value },
          "shop.common.v1.Money.units",
          value,
        );
      }
    });

    it("refuses them for every number kind, list item, integer map key and wrapper", () => {
      for (const kind of numberKinds) {
        for (const value of nonDecimal) {
          assertRefused(numbers, { [kind]: value }, `shop.testing.v1.Numbers.${kind}`, value);
        }
      }
      assertRefused(numbers, { int64s: ["1", "0x10"] }, "shop.testing.v1.Numbers.int64s", "0x10");
      assertRefused(numbers, { byInt32: { "0x10": 1 } }, "shop.testing.v1.Numbers.by_int32", "0x10");
      assertRefused(numbers, { byInt64: { "0b11": 1 } }, "shop.testing.v1.Numbers.by_int64", "0b11");
      assertRefused(numbers, { byInt32: { "1": "0o7" } }, "shop.testing.v1.Numbers.by_int32", "0o7");
      assertRefused(Int32ValueSchema, "0x10", "google.protobuf.Int32Value.value", "0x10");
      assertRefused(UInt64ValueSchema, "0x10", "google.protobuf.UInt64Value.value", "0x10");
    });

    it("still reads decimal spellings, and strings and bytes as before", () => {
      for (const [json, available] of [
        [400, 400],
        ["400", 400],
        ["-7", -7],
        ["+12", 12],
        ["012", 12],
        ["1e2", 100],
        ["5.0", 5],
      ] as const) {
        assert.equal(fromJson(SetStockRequestSchema, { available: json }).available, available, `${json}`);
      }
      for (const [json, units] of [
        [16, 16n],
        ["400", 400n],
        ["-12", -12n],
        ["012", 12n],
        ["9223372036854775807", 9223372036854775807n],
      ] as const) {
        assert.equal(fromJson(MoneySchema, { units: json }).units, units, `${json}`);
      }
      const read = fromJson(numbers, {
        double: "1.5e3",
        uint64: "18446744073709551615",
        byInt64: { "-12": 1 },
        byString: { "0x10": 2 },
        string: "0x10",
        bytes: "0x10",
      }) as unknown as Record<string, unknown>;
      assert.equal(read.double, 1500);
      assert.equal(read.uint64, 18446744073709551615n);
      assert.deepEqual(read.byInt64, { "-12": 1 });
      assert.deepEqual(read.byString, { "0x10": 2 });
      assert.equal(read.string, "0x10");
      assert.deepEqual(read.bytes, new Uint8Array([0xd3, 0x1d, 0x74]), "base64 of 0x10");
    });
  });
}
