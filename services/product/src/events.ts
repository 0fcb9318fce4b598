import { ProductCreatedSchema, ProductUpdatedSchema } from "@shop/gen/shop/product/v1/events_pb";
import { createEvent } from "@shop/platform/events/event-codec";
import { type OutboxTransaction, writeOutbox } from "@shop/platform/events/outbox";
import { toProduct } from "./product-proto.js";
import type { ProductRecord } from "./store.js";

/** What happened to a product, as the store reports it inside the change's transaction. */
export type ProductChange = { readonly kind: "created" | "updated"; readonly product: ProductRecord };

/** Records the event of a change in the same transaction as the change itself. */
export type ProductChangeRecorder = (tx: OutboxTransaction, change: ProductChange) => Promise<unknown>;

/**
 * The product service publishes ProductCreated and ProductUpdated, each carrying the whole product
 * as the RPC returned it. They go through the platform's transactional outbox: the row commits or
 * rolls back with the insert / update, and the outbox relay (see service.ts) moves it to JetStream.
 */
export const recordProductChange: ProductChangeRecorder = (tx, change) => {
  const product = toProduct(change.product);
  const event =
    change.kind === "created"
      ? createEvent(ProductCreatedSchema, { product, occurTime: product.createTime })
      : createEvent(ProductUpdatedSchema, { product, occurTime: product.updateTime });
  return writeOutbox(tx, event);
};
