import { randomUUID } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { ListPosition } from "./page-token.js";
import { type NotificationKindName, type NotificationRow, notifications } from "./schema.js";

/** A drizzle database or transaction to read and write notifications in. */
export type NotificationDb = Pick<PgDatabase<PgQueryResultHKT, Record<string, unknown>>, "insert" | "select">;

/** What an order event turns into; id and create_time are the store's. */
export interface NewNotification {
  readonly userId: string;
  readonly orderId: string;
  readonly kind: NotificationKindName;
  readonly message: string;
  readonly eventId: string;
}

export interface ListForUserQuery {
  /** Notifications strictly older than this position (newest-first order); absent for the first page. */
  readonly after?: ListPosition;
  readonly limit: number;
}

/** Data access of notifications, behind an interface so the event handler and RPCs stay storage-free. */
export interface NotificationStore {
  /**
   * Inserts the notification inside `tx` (the consumer's transaction, which also records the event
   * id) unless the order already has one of that kind; returns the new row, or undefined when it was
   * a duplicate outcome. Race-safe: the UNIQUE(order_id, kind) constraint decides, not a prior read.
   */
  recordOnce(tx: NotificationDb, input: NewNotification): Promise<NotificationRow | undefined>;
  /** The user's notifications, newest first (create_time, then id, both descending). */
  listForUser(userId: string, query: ListForUserQuery): Promise<NotificationRow[]>;
}

/**
 * Notifications over Postgres with drizzle. Why keyset paging rather than OFFSET: a position
 * (create_time, id) stays valid while new notifications arrive at the top, so paging back through
 * history never repeats or skips one, and each page is one range scan of the (user, time, id) index.
 */
export function createNotificationStore(db: NotificationDb): NotificationStore {
  return {
    async recordOnce(tx, input) {
      const [row] = await tx
        .insert(notifications)
        .values({ id: randomUUID(), ...input })
        .onConflictDoNothing({ target: [notifications.orderId, notifications.kind] })
        .returning();
      return row;
    },

    async listForUser(userId, { after, limit }) {
      const position = after
        ? sql`(${notifications.createTime}, ${notifications.id}) < (${after.createTime.toISOString()}::timestamptz, ${after.id}::uuid)`
        : undefined;
      return db
        .select()
        .from(notifications)
        .where(and(eq(notifications.userId, userId), position))
        .orderBy(desc(notifications.createTime), desc(notifications.id))
        .limit(limit);
    },
  };
}
