import { randomUUID } from "node:crypto";
import { and, asc, eq, ilike, or, type SQL, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { creationDigest } from "./creation-digest.js";
import type { ProductChangeRecorder } from "./events.js";
import { creationKeys, type ProductRow, products } from "./schema.js";

/** A product as the store keeps it; the handlers turn it into the proto message. */
export type ProductRecord = ProductRow;

/** The fields a caller chooses; id and timestamps are the store's. */
export interface ProductInput {
  readonly name: string;
  readonly description: string;
  readonly currencyCode: string;
  readonly units: bigint;
  readonly nanos: number;
}

/** A place in the listing order: the last product of the previous page. */
export interface ListPosition {
  readonly createTime: Date;
  readonly id: string;
}

/** The idempotency key of a CreateProduct: the caller's own key, so keys are per caller. */
export interface CreationKey {
  /** The verified caller's user id. */
  readonly callerId: string;
  readonly idempotencyKey: string;
}

/**
 * Outcome of a create under an idempotency key: "created" now; "repeat": the key created `product`
 * before from the same fields (returned as it is now, nothing written); "key-reused": the key
 * created `productId` from other fields (nothing written).
 */
export type KeyedCreateResult =
  | { readonly kind: "created" | "repeat"; readonly product: ProductRecord }
  | { readonly kind: "key-reused"; readonly productId: string };

export interface ListQuery {
  /** Case-insensitive substring of name or description; empty matches everything. */
  readonly text: string;
  /** Products strictly after this position; absent for the first page. */
  readonly after?: ListPosition;
  readonly limit: number;
}

/** Data access of the catalog, behind an interface so handlers are testable and the engine swappable. */
export interface ProductStore {
  get(id: string): Promise<ProductRecord | undefined>;
  /** Products in listing order (create_time, then id), after `query.after`. */
  list(query: ListQuery): Promise<ProductRecord[]>;
  /** Inserts the product and, in the same transaction, records its ProductCreated event. */
  create(input: ProductInput): Promise<ProductRecord>;
  /**
   * `create` at most once per caller and key: the key is recorded in the product's transaction under
   * a unique constraint, so of concurrent creates with one key exactly one inserts a product (and
   * its event) and the others answer it.
   */
  createOnce(input: ProductInput, key: CreationKey): Promise<KeyedCreateResult>;
  /**
   * Applies the given fields and, in the same transaction, records ProductUpdated; undefined (and no
   * event) when no product has that id.
   */
  update(id: string, changes: Partial<ProductInput>): Promise<ProductRecord | undefined>;
  /**
   * Inserts all of `inputs` in one transaction if, and only if, the catalog is empty; returns how
   * many were inserted. Atomic, so two replicas seeding at once never double the catalog. Each
   * inserted product gets its ProductCreated, like one created through the API.
   */
  insertIfEmpty(inputs: readonly ProductInput[]): Promise<number>;
}

type Database = PostgresJsDatabase<Record<string, unknown>>;

/** Rolls back a keyed create whose key another create took meanwhile (its product and event with it). */
class KeyTakenMeanwhile extends Error {
  override readonly name = "KeyTakenMeanwhile";
}

/** `%`, `_` and `\` match literally in the user's text, as a "contains" search promises. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, "\\$&")}%`;
}

/**
 * The catalog over Postgres with drizzle. Why keyset paging rather than OFFSET: a position
 * (create_time, id) stays valid while products are added, so pages never skip or repeat an entry,
 * and each page costs one index range scan however deep the listing goes.
 *
 * `recordChange` writes the event of each create / update inside that change's transaction (the
 * service passes the outbox writer of events.ts); without it no events are recorded, which only
 * tools such as benchmarks that seed a catalog want.
 */
export function createDrizzleProductStore(db: Database, recordChange?: ProductChangeRecorder): ProductStore {
  const record = recordChange ?? (async () => {});
  // Built once: every query with parameters already runs prepared (see createPostgres), but this one,
  // GetProduct's, is the catalog's hottest, so it also skips drizzle building its SQL on each call.
  const getById = db
    .select()
    .from(products)
    .where(eq(products.id, sql.placeholder("id")))
    .limit(1)
    .prepare("product_get_by_id");
  /** What an earlier create under this caller's key did, if there was one: a repeat or a reuse. */
  async function outcomeOfKey(
    callerId: string,
    idempotencyKey: string,
    requestDigest: string,
  ): Promise<KeyedCreateResult | undefined> {
    const [first] = await db
      .select({ digest: creationKeys.requestDigest, product: products })
      .from(creationKeys)
      .innerJoin(products, eq(products.id, creationKeys.productId))
      .where(and(eq(creationKeys.callerId, callerId), eq(creationKeys.idempotencyKey, idempotencyKey)));
    if (!first) return undefined;
    return first.digest === requestDigest
      ? { kind: "repeat", product: first.product }
      : { kind: "key-reused", productId: first.product.id };
  }

  return {
    async get(id) {
      const [row] = await getById.execute({ id });
      return row;
    },

    async list({ text, after, limit }) {
      const conditions: SQL[] = [];
      if (text !== "") {
        const pattern = containsPattern(text);
        conditions.push(or(ilike(products.name, pattern), ilike(products.description, pattern)) as SQL);
      }
      if (after) {
        conditions.push(
          sql`(${products.createTime}, ${products.id}) > (${after.createTime.toISOString()}::timestamptz, ${after.id}::uuid)`,
        );
      }
      return db
        .select()
        .from(products)
        .where(and(...conditions))
        .orderBy(asc(products.createTime), asc(products.id))
        .limit(limit);
    },

    async create(input) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(products)
          .values({ id: randomUUID(), ...input })
          .returning();
        if (!row) throw new Error("insert returned no row");
        await record(tx, { kind: "created", product: row });
        return row;
      });
    },

    async createOnce(input, { callerId, idempotencyKey }) {
      const requestDigest = creationDigest(input);
      // A retry usually comes after its first create committed: answered from the key, writing nothing.
      const earlier = await outcomeOfKey(callerId, idempotencyKey, requestDigest);
      if (earlier) return earlier;
      try {
        const created = await db.transaction(async (tx) => {
          // The product first (the key row references it), then the key: an insert of a key another
          // transaction holds waits for that one to end, and finds the key taken once it committed.
          const [row] = await tx
            .insert(products)
            .values({ id: randomUUID(), ...input })
            .returning();
          if (!row) throw new Error("insert returned no row");
          const [claimed] = await tx
            .insert(creationKeys)
            .values({ callerId, idempotencyKey, requestDigest, productId: row.id })
            .onConflictDoNothing()
            .returning({ productId: creationKeys.productId });
          if (!claimed) throw new KeyTakenMeanwhile("this caller's idempotency key was taken meanwhile");
          await record(tx, { kind: "created", product: row });
          return row;
        });
        return { kind: "created", product: created };
      } catch (error) {
        if (!(error instanceof KeyTakenMeanwhile)) throw error;
      }
      // A concurrent create with the same key won the race: it has committed, so this read sees it.
      const winner = await outcomeOfKey(callerId, idempotencyKey, requestDigest);
      if (!winner) throw new Error("product vanished after an idempotency-key conflict");
      return winner;
    },

    async update(id, changes) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(products)
          .set({ ...changes, updateTime: sql`now()` })
          .where(eq(products.id, id))
          .returning();
        if (row) await record(tx, { kind: "updated", product: row });
        return row;
      });
    },

    async insertIfEmpty(inputs) {
      return db.transaction(async (tx) => {
        // Blocks a concurrent seeder (same lock mode conflicts with itself) but not readers.
        await tx.execute(sql`lock table ${products} in share row exclusive mode`);
        const [existing] = await tx.select({ id: products.id }).from(products).limit(1);
        if (existing || inputs.length === 0) return 0;
        const rows = await tx
          .insert(products)
          .values(inputs.map((input) => ({ id: randomUUID(), ...input })))
          .returning();
        for (const row of rows) await record(tx, { kind: "created", product: row });
        return rows.length;
      });
    },
  };
}
