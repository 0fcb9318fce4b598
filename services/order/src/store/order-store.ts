import type { ShopEvent } from "@shop/platform/events/event-codec";

/** An amount of money as stored: the proto Money's fields, units as a bigint (int64). */
export interface MoneyValue {
  readonly currencyCode: string;
  readonly units: bigint;
  readonly nanos: number;
}

/** One product line, frozen when the order was placed. */
export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: MoneyValue;
}

/** The shipping address as stored (the proto Address's fields, already validated and trimmed). */
export interface ShippingAddress {
  readonly name: string;
  readonly line1: string;
  readonly line2: string;
  readonly city: string;
  readonly region: string;
  readonly postalCode: string;
  readonly country: string;
}

export type OrderStatusValue = "PENDING" | "CONFIRMED" | "CANCELLED";

/**
 * Where the checkout saga of an order stands. RESERVING → CHARGING → COMMITTING → DONE on success;
 * any failure goes to COMPENSATING → DONE. DONE is terminal: no worker touches the order again.
 */
export type SagaStep = "RESERVING" | "CHARGING" | "COMMITTING" | "COMPENSATING" | "DONE";

/** The saga's persisted state: enough to resume from the last completed step after a crash. */
export interface SagaState {
  readonly step: SagaStep;
  /** Failed attempts of the current step; reset when the step changes. */
  readonly attempts: number;
  /**
   * The card token, kept only while the charge may still have to be made (RESERVING, CHARGING) so a
   * resumed saga can charge; erased ("") as soon as the charge is decided or the saga compensates.
   */
  readonly cardToken: string;
  /** Why the saga is compensating; becomes the order's status_reason when it ends CANCELLED. */
  readonly failureReason: string;
  /** Which worker holds the lease ("" when none); only it may drive the saga. */
  readonly leaseOwner: string;
  /** Until when the lease holds; after it another worker may take the order over. */
  readonly leaseExpiresAt: Date;
}

/** A stored order with its saga state and its optimistic-concurrency version. */
export interface OrderRecord {
  readonly id: string;
  readonly userId: string;
  readonly idempotencyKey: string;
  readonly status: OrderStatusValue;
  readonly statusReason: string;
  readonly items: readonly OrderLine[];
  readonly total: MoneyValue;
  readonly shippingAddress: ShippingAddress;
  readonly paymentId: string;
  readonly saga: SagaState;
  /** Incremented by every change; an update names the version it read (optimistic concurrency). */
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What PlaceOrder hands to the store; ids and timestamps are the caller's, so they fit its event. */
export type NewOrder = Omit<OrderRecord, "version" | "updatedAt"> & {
  /**
   * The version of the cart the order was placed from (its last-change time, which strictly increases
   * with every change of a cart). While the order is not CANCELLED it holds that cart version: no other
   * order of the same user can be placed from it. Why: two checkouts of one cart sent at once (a
   * double click, two tabs) read the same cart before either clears it, and without this would
   * both become orders and both be charged.
   */
  readonly cartVersion: string;
};

/** How `OrderStore.create` ended. */
export type CreateResult =
  | { readonly created: true; readonly order: OrderRecord }
  | {
      readonly created: false;
      /**
       * `idempotency-key`: the user placed an order with this key before (it comes back, as a retry
       * expects); `cart-version`: an order that is not cancelled was placed from the same cart version
       * (it comes back so the caller can name it).
       */
      readonly conflict: "idempotency-key" | "cart-version";
      readonly order: OrderRecord;
    };

/** A change to an order: any subset of status, reason, payment id and saga fields. */
export interface OrderChange {
  readonly status?: OrderStatusValue;
  readonly statusReason?: string;
  readonly paymentId?: string;
  readonly saga?: Partial<SagaState>;
}

/** A position in a user's newest-first list: the last order of the previous page. */
export interface ListCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ListOptions {
  readonly limit: number;
  readonly after?: ListCursor;
}

/**
 * Persistence of orders and their saga state, with two adapters (Postgres, MongoDB) that pass the same
 * contract suite (order-store.contract.ts). Every write that publishes an event writes it into the
 * transactional outbox in the same transaction as the change.
 */
export interface OrderStore {
  /**
   * Inserts a new order with its OrderPlaced event, unless the user already placed an order with the
   * same idempotency key, or an order that is not cancelled from the same cart version: then nothing is
   * written and that order comes back with `created: false` and the conflict. Race-safe: both
   * uniquenesses are enforced by the database. Cancelling an order (a change to status CANCELLED)
   * releases its cart version, so the same cart can be checked out again.
   */
  create(order: NewOrder, event: ShopEvent): Promise<CreateResult>;
  /** The order a user placed with an idempotency key, if any (a retried PlaceOrder checks out nothing). */
  getByIdempotencyKey(userId: string, idempotencyKey: string): Promise<OrderRecord | undefined>;
  /** An order by id, whoever owns it (callers check ownership). */
  get(id: string): Promise<OrderRecord | undefined>;
  /** A user's orders, newest first (create time, then id, both descending), after `after`. */
  listByUser(userId: string, options: ListOptions): Promise<OrderRecord[]>;
  /**
   * Applies `change` only if the order is still at `expectedVersion`, bumping the version and the
   * update time, and writes `event` (if any) in the same transaction. Returns the new record, or
   * undefined when the version moved on (another writer won) or the order does not exist.
   */
  update(
    id: string,
    expectedVersion: number,
    change: OrderChange,
    event?: ShopEvent,
  ): Promise<OrderRecord | undefined>;
  /**
   * Orders whose saga is not DONE and whose lease expired before `now`, oldest lease first: the work
   * left behind by a crashed or stalled worker.
   */
  findResumable(now: Date, limit: number): Promise<OrderRecord[]>;
  /** Releases connections. */
  close(): Promise<void>;
}
