import { encodeEvent, type ShopEvent } from "@shop/platform/events/event-codec";
import { Binary, type ClientSession, type Collection, MongoClient, MongoServerError } from "mongodb";
import { cartVersionConflict, createWithOneRetry } from "./create-outcome.js";
import type {
  CreateResult,
  NewOrder,
  OrderChange,
  OrderRecord,
  OrderStore,
  SagaState,
  ShippingAddress,
} from "./order-store.js";

interface StoredMoney {
  currencyCode: string;
  /** int64 as a decimal string: exact, and independent of the driver's bigint settings. */
  units: string;
  nanos: number;
}

interface OrderDocument {
  _id: string;
  userId: string;
  idempotencyKey: string;
  status: OrderRecord["status"];
  statusReason: string;
  items: { productId: string; name: string; quantity: number; unitPrice: StoredMoney }[];
  total: StoredMoney;
  shippingAddress: ShippingAddress;
  paymentId: string;
  saga: SagaState;
  version: number;
  /** The cart version the order holds; removed when it is cancelled (see `NewOrder.cartVersion`). */
  cartClaim?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The same shape as the platform's Postgres outbox row, so one relay design covers both stores. */
interface OutboxDocument {
  _id: string;
  subject: string;
  payload: Binary;
  headers: Record<string, string>;
  createdAt: Date;
  publishedAt: Date | null;
}

const duplicateKeyCode = 11000;

/** A duplicate key error of the unique index on `field` (MongoDB names the index's keys in `keyPattern`). */
function isDuplicateKeyOf(error: unknown, field: string): boolean {
  return (
    error instanceof MongoServerError &&
    error.code === duplicateKeyCode &&
    Object.hasOwn((error.keyPattern as Record<string, unknown> | undefined) ?? {}, field)
  );
}

function toStoredMoney(money: { currencyCode: string; units: bigint; nanos: number }): StoredMoney {
  return { currencyCode: money.currencyCode, units: money.units.toString(), nanos: money.nanos };
}

function fromStoredMoney(money: StoredMoney) {
  return { currencyCode: money.currencyCode, units: BigInt(money.units), nanos: money.nanos };
}

function toRecord(doc: OrderDocument): OrderRecord {
  return {
    id: doc._id,
    userId: doc.userId,
    idempotencyKey: doc.idempotencyKey,
    status: doc.status,
    statusReason: doc.statusReason,
    items: doc.items.map((line) => ({ ...line, unitPrice: fromStoredMoney(line.unitPrice) })),
    total: fromStoredMoney(doc.total),
    shippingAddress: doc.shippingAddress,
    paymentId: doc.paymentId,
    saga: { ...doc.saga },
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function outboxDocument(event: ShopEvent): OutboxDocument {
  const encoded = encodeEvent(event);
  return {
    _id: encoded.eventId,
    subject: encoded.subject,
    payload: new Binary(encoded.payload),
    headers: {},
    createdAt: new Date(),
    publishedAt: null,
  };
}

function changeFields(change: OrderChange): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (change.status !== undefined) fields.status = change.status;
  if (change.statusReason !== undefined) fields.statusReason = change.statusReason;
  if (change.paymentId !== undefined) fields.paymentId = change.paymentId;
  for (const [key, value] of Object.entries(change.saga ?? {})) {
    if (value !== undefined) fields[`saga.${key}`] = value;
  }
  return fields;
}

export interface MongoOrderStoreOptions {
  /** `mongodb://…`; it must reach a replica set (transactions need one). */
  readonly url: string;
  /** Database name when the URL names none. */
  readonly databaseName?: string;
}

/**
 * The OrderStore over MongoDB, the deployed default (ARCHITECTURE §2). A unique index on
 * (userId, idempotencyKey) makes PlaceOrder idempotent under races, `version` gives optimistic
 * concurrency, and a multi-document transaction writes an event into the `outbox` collection together
 * with the order change it announces.
 */
export async function createMongoOrderStore(options: MongoOrderStoreOptions): Promise<OrderStore> {
  const client = new MongoClient(options.url);
  await client.connect();
  const db = client.db(options.databaseName);
  const orders: Collection<OrderDocument> = db.collection<OrderDocument>("orders");
  const outbox: Collection<OutboxDocument> = db.collection<OutboxDocument>("outbox");
  try {
    await orders.createIndex(
      { userId: 1, idempotencyKey: 1 },
      { unique: true, name: "user_idempotency_key" },
    );
    // Only orders that hold a cart version are indexed, so cancelled ones (claim removed) never collide.
    await orders.createIndex(
      { userId: 1, cartClaim: 1 },
      { unique: true, name: "user_cart_claim", partialFilterExpression: { cartClaim: { $exists: true } } },
    );
    await orders.createIndex({ userId: 1, createdAt: -1, _id: -1 }, { name: "user_newest" });
    await orders.createIndex({ "saga.step": 1, "saga.leaseExpiresAt": 1 }, { name: "resumable" });
    await outbox.createIndex({ publishedAt: 1, createdAt: 1 }, { name: "pending" });
  } catch (error) {
    await client.close();
    throw error;
  }

  async function inTransaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = client.startSession();
    try {
      return await session.withTransaction(work);
    } finally {
      await session.endSession();
    }
  }

  async function get(id: string): Promise<OrderRecord | undefined> {
    const doc = await orders.findOne({ _id: id });
    return doc ? toRecord(doc) : undefined;
  }

  async function getByIdempotencyKey(
    userId: string,
    idempotencyKey: string,
  ): Promise<OrderRecord | undefined> {
    const doc = await orders.findOne({ userId, idempotencyKey });
    return doc ? toRecord(doc) : undefined;
  }

  /** One attempt of `create`; undefined when the cart version's holder was cancelled meanwhile. */
  async function createOnce(order: NewOrder, event: ShopEvent): Promise<CreateResult | undefined> {
    const doc: OrderDocument = {
      _id: order.id,
      userId: order.userId,
      idempotencyKey: order.idempotencyKey,
      status: order.status,
      statusReason: order.statusReason,
      items: order.items.map((line) => ({ ...line, unitPrice: toStoredMoney(line.unitPrice) })),
      total: toStoredMoney(order.total),
      shippingAddress: { ...order.shippingAddress },
      paymentId: order.paymentId,
      saga: { ...order.saga },
      version: 1,
      ...(order.cartVersion === "" ? {} : { cartClaim: order.cartVersion }),
      createdAt: order.createdAt,
      updatedAt: order.createdAt,
    };
    try {
      await inTransaction(async (session) => {
        await orders.insertOne(doc, { session });
        await outbox.insertOne(outboxDocument(event), { session });
      });
      return { order: toRecord(doc), created: true };
    } catch (error) {
      if (isDuplicateKeyOf(error, "cartClaim")) {
        const holder = await orders.findOne({ userId: order.userId, cartClaim: order.cartVersion });
        if (!holder) return undefined;
        return cartVersionConflict(toRecord(holder), order);
      }
      if (!isDuplicateKeyOf(error, "idempotencyKey")) throw error;
    }
    const existing = await getByIdempotencyKey(order.userId, order.idempotencyKey);
    if (!existing) throw new Error("order vanished after an idempotency-key conflict");
    return { order: existing, created: false, conflict: "idempotency-key" };
  }

  return {
    async create(order: NewOrder, event: ShopEvent) {
      return createWithOneRetry(() => createOnce(order, event));
    },

    get,

    getByIdempotencyKey,

    async listByUser(userId, { limit, after }) {
      const filter = after
        ? {
            userId,
            $or: [
              { createdAt: { $lt: after.createdAt } },
              { createdAt: after.createdAt, _id: { $lt: after.id } },
            ],
          }
        : { userId };
      const docs = await orders.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
      return docs.map(toRecord);
    },

    async update(id, expectedVersion, change, event) {
      const apply = (session?: ClientSession) =>
        orders.findOneAndUpdate(
          { _id: id, version: expectedVersion },
          {
            $set: { ...changeFields(change), version: expectedVersion + 1, updatedAt: new Date() },
            // A cancelled order lets go of its cart version (see `OrderStore.create`).
            ...(change.status === "CANCELLED" ? { $unset: { cartClaim: "" as const } } : {}),
          },
          { returnDocument: "after", ...(session ? { session } : {}) },
        );
      if (!event) {
        const doc = await apply();
        return doc ? toRecord(doc) : undefined;
      }
      const doc = await inTransaction(async (session) => {
        const updated = await apply(session);
        if (updated) await outbox.insertOne(outboxDocument(event), { session });
        return updated;
      });
      return doc ? toRecord(doc) : undefined;
    },

    async findResumable(now, limit) {
      const docs = await orders
        .find({ "saga.step": { $ne: "DONE" }, "saga.leaseExpiresAt": { $lt: now } })
        .sort({ "saga.leaseExpiresAt": 1 })
        .limit(limit)
        .toArray();
      return docs.map(toRecord);
    },

    close: () => client.close(),
  };
}
