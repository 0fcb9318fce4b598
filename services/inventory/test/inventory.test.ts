import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InventoryService, ReservationStatus } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { parseInventoryConfig } from "../src/config.js";
import { type RunningInventoryService, startInventoryService } from "../src/service.js";

/** The gRPC code a call fails with, or undefined when it succeeds. */
async function failure(promise: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

/** Polls `check` every 20 ms until it holds, for at most 5 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("inventory service over gRPC", () => {
  let database: TestDatabase;
  let sql: postgres.Sql;
  let service: RunningInventoryService;
  let client: Client<typeof InventoryService>;
  let issuer: TestTokenIssuer;
  let adminHeaders: Record<string, string>;
  let userHeaders: Record<string, string>;

  /** A product id no other test uses, so tests do not depend on each other's stock. */
  const product = () => randomUUID();

  async function setStock(productId: string, available: number) {
    return client.setStock({ productId, available }, { headers: adminHeaders });
  }

  async function stockRow(productId: string) {
    const [row] = await sql<{ available: number; reserved: number }[]>`
      select available, reserved from stock where product_id = ${productId}`;
    return row;
  }

  before(async () => {
    database = await createTestDatabase({ prefix: "inventory" });
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    issuer = await createTestTokenIssuer();
    const config = parseInventoryConfig({ DATABASE_URL: database.url, LOG_LEVEL: "silent" });
    service = await startInventoryService({ ...config, PORT: 0 }, { verifier: issuer.verifier });
    client = createClient(
      InventoryService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
    );
    const admin = await issuer.sign({ userId: randomUUID(), email: "admin@example.com", roles: ["admin"] });
    const user = await issuer.sign({ userId: randomUUID(), email: "user@example.com" });
    adminHeaders = { authorization: `Bearer ${admin}` };
    userHeaders = { authorization: `Bearer ${user}` };
  });

  after(async () => {
    await service?.shutdown();
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  test("GetStock of a product that never had stock is zero, not NOT_FOUND", async () => {
    const id = product();
    const { stock } = await client.getStock({ productId: id });
    assert.deepEqual([stock?.productId, stock?.available, stock?.reserved], [id, 0, 0]);
  });

  test("SetStock sets available and leaves reserved alone; GetStock reads it back", async () => {
    const id = product();
    await setStock(id, 5);
    await client.reserveStock({
      reservationId: randomUUID(),
      orderId: "o1",
      items: [{ productId: id, quantity: 2 }],
    });
    const { stock } = await setStock(id, 40);
    assert.deepEqual([stock?.available, stock?.reserved], [40, 2]);
    const read = await client.getStock({ productId: id });
    assert.deepEqual([read.stock?.available, read.stock?.reserved], [40, 2]);
  });

  test("SetStock needs an admin token", async () => {
    const id = product();
    assert.equal(
      (await failure(client.setStock({ productId: id, available: 1 })))?.code,
      Code.Unauthenticated,
    );
    assert.equal(
      (await failure(client.setStock({ productId: id, available: 1 }, { headers: userHeaders })))?.code,
      Code.PermissionDenied,
    );
    assert.equal((await client.getStock({ productId: id })).stock?.available, 0);
  });

  test("bad input is INVALID_ARGUMENT naming the field", async () => {
    const a = product();
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => setStock(product(), -1), /available/],
      [() => setStock(product(), 1_000_001), /available/],
      [() => setStock("", 1), /product_id/],
      [() => client.getStock({ productId: " padded" }), /product_id/],
      [() => client.getStock({ productId: "x".repeat(129) }), /product_id/],
      [() => client.reserveStock({ reservationId: "r", orderId: "o", items: [] }), /items/],
      [
        () =>
          client.reserveStock({ reservationId: "", orderId: "o", items: [{ productId: a, quantity: 1 }] }),
        /reservation_id/,
      ],
      [
        () =>
          client.reserveStock({ reservationId: "r", orderId: "", items: [{ productId: a, quantity: 1 }] }),
        /order_id/,
      ],
      [
        () =>
          client.reserveStock({ reservationId: "r", orderId: "o", items: [{ productId: a, quantity: 0 }] }),
        /quantity/,
      ],
      [
        () =>
          client.reserveStock({
            reservationId: "r",
            orderId: "o",
            items: [{ productId: a, quantity: 1001 }],
          }),
        /quantity/,
      ],
      [
        () =>
          client.reserveStock({
            reservationId: "r",
            orderId: "o",
            items: [
              { productId: a, quantity: 1 },
              { productId: a, quantity: 2 },
            ],
          }),
        /listed twice/,
      ],
      [() => client.commitReservation({ reservationId: "" }), /reservation_id/],
      [() => client.releaseReservation({ reservationId: "" }), /reservation_id/],
    ];
    for (const [call, message] of cases) {
      const error = await failure(call());
      assert.equal(error?.code, Code.InvalidArgument, `expected InvalidArgument, got ${error?.message}`);
      assert.match(error.rawMessage, message);
    }
  });

  test("product ids are UUIDs on every RPC: anything else is INVALID_ARGUMENT naming product_id", async () => {
    const notUuids = ["xyz", "a/b", "😀", `${product()}x`, "p-0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d"];
    for (const productId of notUuids) {
      for (const [call, field] of [
        [() => client.getStock({ productId }), /^product_id /],
        [() => setStock(productId, 1), /^product_id /],
        [
          () =>
            client.reserveStock({
              reservationId: randomUUID(),
              orderId: "o",
              items: [{ productId, quantity: 1 }],
            }),
          /^items\[0\]\.product_id /,
        ],
      ] as const) {
        const error = await failure(call());
        assert.equal(error?.code, Code.InvalidArgument, `${productId}: got ${error?.message}`);
        assert.match(error.rawMessage, field);
      }
    }
    const [count] = await sql<
      { n: number }[]
    >`select count(*)::int as n from stock where product_id !~ '^[0-9a-f-]{36}$'`;
    assert.equal(count?.n, 0, "nothing stored under a non-UUID id");
  });

  test("product ids are taken in either case, as the catalog's lower-case id", async () => {
    const id = product();
    await setStock(id.toUpperCase(), 6);
    const { stock } = await client.getStock({ productId: id.toUpperCase() });
    assert.deepEqual([stock?.productId, stock?.available], [id, 6]);
    const { reservation } = await client.reserveStock({
      reservationId: randomUUID(),
      orderId: "o-case",
      items: [{ productId: id.toUpperCase(), quantity: 2 }],
    });
    assert.deepEqual(
      reservation?.items.map((item) => item.productId),
      [id],
    );
    assert.deepEqual(await stockRow(id), { available: 4, reserved: 2 });
  });

  test("reserve, commit: units leave the stock; commit is idempotent; release after commit is refused", async () => {
    const id = product();
    await setStock(id, 10);
    const reservationId = randomUUID();
    const { reservation } = await client.reserveStock({
      reservationId,
      orderId: "order-1",
      items: [{ productId: id, quantity: 3 }],
    });
    assert.equal(reservation?.status, ReservationStatus.RESERVED);
    assert.deepEqual(await stockRow(id), { available: 7, reserved: 3 });

    const committed = await client.commitReservation({ reservationId });
    assert.equal(committed.reservation?.status, ReservationStatus.COMMITTED);
    assert.deepEqual(await stockRow(id), { available: 7, reserved: 0 });

    const again = await client.commitReservation({ reservationId });
    assert.equal(again.reservation?.status, ReservationStatus.COMMITTED);
    assert.deepEqual(await stockRow(id), { available: 7, reserved: 0 });

    const refused = await failure(client.releaseReservation({ reservationId }));
    assert.equal(refused?.code, Code.FailedPrecondition);
    assert.deepEqual(await stockRow(id), { available: 7, reserved: 0 });

    // A repeated reserve returns the reservation in its current status without reserving again.
    const repeat = await client.reserveStock({
      reservationId,
      orderId: "order-1",
      items: [{ productId: id, quantity: 3 }],
    });
    assert.equal(repeat.reservation?.status, ReservationStatus.COMMITTED);
    assert.deepEqual(await stockRow(id), { available: 7, reserved: 0 });
  });

  test("reserve, release: units return; release is idempotent; commit after release is refused", async () => {
    const id = product();
    await setStock(id, 4);
    const reservationId = randomUUID();
    await client.reserveStock({ reservationId, orderId: "order-2", items: [{ productId: id, quantity: 4 }] });
    assert.deepEqual(await stockRow(id), { available: 0, reserved: 4 });

    for (let i = 0; i < 2; i++) {
      const { reservation } = await client.releaseReservation({ reservationId });
      assert.equal(reservation?.status, ReservationStatus.RELEASED);
      assert.deepEqual(await stockRow(id), { available: 4, reserved: 0 });
    }
    assert.equal((await failure(client.commitReservation({ reservationId })))?.code, Code.FailedPrecondition);
    assert.deepEqual(await stockRow(id), { available: 4, reserved: 0 });
  });

  test("commit or release of an unknown reservation is NOT_FOUND", async () => {
    const reservationId = randomUUID();
    assert.equal((await failure(client.commitReservation({ reservationId })))?.code, Code.NotFound);
    assert.equal((await failure(client.releaseReservation({ reservationId })))?.code, Code.NotFound);
  });

  test("a release that finds no reservation fences its id: a ReserveStock arriving later holds nothing", async () => {
    // The saga compensates a reserve that timed out with a release; NotFound tells it nothing is held.
    const id = product();
    await setStock(id, 6);
    const reservationId = randomUUID();
    assert.equal((await failure(client.releaseReservation({ reservationId })))?.code, Code.NotFound);
    const late = await failure(
      client.reserveStock({ reservationId, orderId: "order-late", items: [{ productId: id, quantity: 2 }] }),
    );
    assert.equal(late?.code, Code.FailedPrecondition);
    assert.match(late?.rawMessage ?? "", /released before it was made/);
    assert.deepEqual(await stockRow(id), { available: 6, reserved: 0 });
    // Compensation stays repeatable, and the marker is no reservation to commit.
    assert.equal((await failure(client.releaseReservation({ reservationId })))?.code, Code.NotFound);
    assert.equal((await failure(client.commitReservation({ reservationId })))?.code, Code.NotFound);
  });

  test("a release racing the reserve of its id waits for it and releases what it reserved", async () => {
    const id = product();
    await setStock(id, 5);
    const reservationId = randomUUID();
    let reserve: Promise<unknown> = Promise.resolve();
    let release: Promise<ConnectError | undefined> = Promise.resolve(undefined);
    await sql.begin(async (tx) => {
      // Hold the stock row so the reserve stops after claiming its id, uncommitted.
      await tx`select product_id from stock where product_id = ${id} for update`;
      reserve = client.reserveStock({
        reservationId,
        orderId: "order-race",
        items: [{ productId: id, quantity: 3 }],
      });
      await waitUntil(async () => {
        const [row] = await sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'
            and query like 'update "stock"%'`;
        return (row?.waiting ?? 0) > 0;
      });
      release = failure(client.releaseReservation({ reservationId }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    await reserve;
    assert.equal(await release, undefined);
    assert.deepEqual(await stockRow(id), { available: 5, reserved: 0 });
  });

  test("ReserveStock is idempotent by reservation id; reusing the id differently is ALREADY_EXISTS", async () => {
    const [a, b] = [product(), product()];
    await setStock(a, 10);
    await setStock(b, 10);
    const reservationId = randomUUID();
    const items = [
      { productId: b, quantity: 2 },
      { productId: a, quantity: 1 },
    ];
    const first = await client.reserveStock({ reservationId, orderId: "order-3", items });
    // Same items in another order are the same request.
    const second = await client.reserveStock({
      reservationId,
      orderId: "order-3",
      items: [...items].reverse(),
    });
    assert.deepEqual(second.reservation, first.reservation);
    assert.deepEqual(await stockRow(a), { available: 9, reserved: 1 });
    assert.deepEqual(await stockRow(b), { available: 8, reserved: 2 });

    const differentItems = await failure(
      client.reserveStock({ reservationId, orderId: "order-3", items: [{ productId: a, quantity: 1 }] }),
    );
    assert.equal(differentItems?.code, Code.AlreadyExists);
    const differentOrder = await failure(client.reserveStock({ reservationId, orderId: "order-4", items }));
    assert.equal(differentOrder?.code, Code.AlreadyExists);
    assert.deepEqual(await stockRow(a), { available: 9, reserved: 1 });
  });

  test("concurrent duplicates of one reservation reserve once", async () => {
    const id = product();
    await setStock(id, 100);
    const reservationId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.reserveStock({ reservationId, orderId: "order-5", items: [{ productId: id, quantity: 7 }] }),
      ),
    );
    for (const { reservation } of results) assert.equal(reservation?.id, reservationId);
    assert.deepEqual(await stockRow(id), { available: 93, reserved: 7 });
  });

  test("insufficient stock on any item reserves nothing and names the product", async () => {
    const [plenty, scarce, untracked] = [product(), product(), product()];
    await setStock(plenty, 5);
    await setStock(scarce, 1);
    const reservationId = randomUUID();
    const items = [
      { productId: plenty, quantity: 2 },
      { productId: scarce, quantity: 3 },
    ];
    const error = await failure(client.reserveStock({ reservationId, orderId: "order-6", items }));
    assert.equal(error?.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, new RegExp(scarce));
    assert.deepEqual(await stockRow(plenty), { available: 5, reserved: 0 });
    assert.deepEqual(await stockRow(scarce), { available: 1, reserved: 0 });
    const [{ count } = { count: -1 }] = await sql<{ count: number }[]>`
      select count(*)::int as count from reservations where id = ${reservationId}`;
    assert.equal(count, 0);

    const never = await failure(
      client.reserveStock({
        reservationId: randomUUID(),
        orderId: "o",
        items: [{ productId: untracked, quantity: 1 }],
      }),
    );
    assert.equal(never?.code, Code.FailedPrecondition);

    // The failed id is not burnt: after a restock the same request succeeds.
    await setStock(scarce, 3);
    const { reservation } = await client.reserveStock({ reservationId, orderId: "order-6", items });
    assert.equal(reservation?.status, ReservationStatus.RESERVED);
    assert.deepEqual(await stockRow(scarce), { available: 0, reserved: 3 });
  });

  test("50 concurrent reservations for the last 10 units: exactly 10 succeed, stock never negative", async () => {
    const id = product();
    await setStock(id, 10);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        failure(
          client.reserveStock({
            reservationId: randomUUID(),
            orderId: `race-${i}`,
            items: [{ productId: id, quantity: 1 }],
          }),
        ),
      ),
    );
    const succeeded = outcomes.filter((error) => error === undefined).length;
    const codes = new Set(outcomes.filter((error) => error !== undefined).map((error) => error.code));
    assert.equal(succeeded, 10);
    assert.deepEqual([...codes], [Code.FailedPrecondition]);
    assert.deepEqual(await stockRow(id), { available: 0, reserved: 10 });
    const [{ held } = { held: -1 }] = await sql<{ held: number }[]>`
      select coalesce(sum(i.quantity), 0)::int as held
      from reservation_items i join reservations r on r.id = i.reservation_id
      where i.product_id = ${id} and r.status = 'RESERVED'`;
    assert.equal(held, 10);
    const [{ negative } = { negative: -1 }] = await sql<{ negative: number }[]>`
      select count(*)::int as negative from stock where available < 0 or reserved < 0`;
    assert.equal(negative, 0);
  });

  test("concurrent multi-item reservations in opposite orders do not deadlock", async () => {
    const [a, b] = [product(), product()];
    await setStock(a, 1000);
    await setStock(b, 1000);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        failure(
          client.reserveStock({
            reservationId: randomUUID(),
            orderId: `mix-${i}`,
            items:
              i % 2 === 0
                ? [
                    { productId: a, quantity: 1 },
                    { productId: b, quantity: 1 },
                  ]
                : [
                    { productId: b, quantity: 1 },
                    { productId: a, quantity: 1 },
                  ],
          }),
        ),
      ),
    );
    assert.deepEqual(
      outcomes.filter((error) => error !== undefined).map((error) => error.message),
      [],
    );
    assert.deepEqual(await stockRow(a), { available: 970, reserved: 30 });
    assert.deepEqual(await stockRow(b), { available: 970, reserved: 30 });
  });

  test("each change writes its event to the outbox in the same transaction", async () => {
    const id = product();
    await setStock(id, 3);
    const kept = randomUUID();
    const dropped = randomUUID();
    await client.reserveStock({
      reservationId: kept,
      orderId: "order-7",
      items: [{ productId: id, quantity: 1 }],
    });
    await client.reserveStock({
      reservationId: dropped,
      orderId: "order-8",
      items: [{ productId: id, quantity: 1 }],
    });
    await client.commitReservation({ reservationId: kept });
    await client.commitReservation({ reservationId: kept }); // a repeat changes nothing, publishes nothing
    await client.releaseReservation({ reservationId: dropped });
    await failure(
      client.reserveStock({
        reservationId: randomUUID(),
        orderId: "order-9",
        items: [{ productId: id, quantity: 5 }],
      }),
    );

    const rows = await sql<{ subject: string; payload: Uint8Array }[]>`
      select subject, payload from outbox order by created_at`;
    const mine = rows
      .map((row) => decodeEvent(row.subject, row.payload))
      .map((decoded) => decoded.event as unknown as Record<string, unknown> & { $typeName: string })
      .filter(
        (event) =>
          [kept, dropped].some((reservationId) => reservationId === event.reservationId) ||
          (event.$typeName === "shop.inventory.v1.StockChanged" &&
            (event.stock as { productId?: string } | undefined)?.productId === id),
      )
      .map((event) => `${event.$typeName}:${event.reservationId ?? ""}`);
    assert.deepEqual(
      mine.sort(),
      [
        `shop.inventory.v1.StockChanged:`,
        `shop.inventory.v1.StockCommitted:${kept}`,
        `shop.inventory.v1.StockReleased:${dropped}`,
        `shop.inventory.v1.StockReserved:${dropped}`,
        `shop.inventory.v1.StockReserved:${kept}`,
      ].sort(),
    );
  });
});
