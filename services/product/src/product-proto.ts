import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { type Product, ProductSchema } from "@shop/gen/shop/product/v1/product_pb";
import type { ProductRecord } from "./store.js";

/**
 * The proto message of a stored product. Why one function for RPC responses and events alike: a
 * consumer of ProductCreated must see exactly the product a CreateProduct caller got back.
 */
export function toProduct(record: ProductRecord): Product {
  return create(ProductSchema, {
    id: record.id,
    name: record.name,
    description: record.description,
    price: create(MoneySchema, {
      currencyCode: record.currencyCode,
      units: record.units,
      nanos: record.nanos,
    }),
    createTime: timestampFromDate(record.createTime),
    updateTime: timestampFromDate(record.updateTime),
  });
}
