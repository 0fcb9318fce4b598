import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "./log.js";
import { createPostgres, type Postgres } from "./postgres.js";
import { postgresJsClientOf } from "./postgres-js-client.js";
import { createTestDatabase, type TestDatabase } from "./testing/database.js";

describe("postgresJsClientOf", () => {
  const logger = createLogger({ service: "test", level: "silent" });
  let database: TestDatabase;
  let pg: Postgres;

  before(async () => {
    database = await createTestDatabase({ prefix: "platform_pgjs" });
    pg = createPostgres({ url: database.url, logger });
    await pg.sql`create table notes (id int primary key)`;
  });
  after(async () => {
    await pg.close();
    await database.drop();
  });

  it("finds the connection of a drizzle transaction, so its statements join that transaction", async () => {
    const rolledBack = new Error("roll back");
    await assert.rejects(
      pg.db.transaction(async (tx) => {
        const client = postgresJsClientOf(tx);
        assert.ok(
          client,
          "drizzle no longer exposes its postgres.js client: the outbox insert lost its fast path",
        );
        await client`insert into notes values (1)`;
        const seen = await tx.execute("select count(*)::int as n from notes");
        assert.equal(
          (seen as unknown as Array<{ n: number }>)[0]?.n,
          1,
          "the raw insert is visible inside the transaction",
        );
        throw rolledBack;
      }),
      rolledBack,
    );
    const [row] = await pg.sql`select count(*)::int as n from notes`;
    assert.equal(row?.n, 0, "the raw insert rolled back with the drizzle transaction");
  });

  it("answers undefined for anything that is not drizzle over postgres.js", () => {
    assert.equal(postgresJsClientOf(undefined), undefined);
    assert.equal(postgresJsClientOf({}), undefined);
    assert.equal(postgresJsClientOf({ session: { client: () => undefined } }), undefined);
  });
});
