import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@shop/platform/log";
import { createPostgres, migrate } from "@shop/platform/postgres";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import * as schema from "../src/schema.js";
import { migrationsFolder } from "../src/service.js";
import { createDrizzleProductStore } from "../src/store.js";

const productNamed = (name: string) => ({ name, description: "", currencyCode: "EUR", units: 9n, nanos: 0 });

describe("product store on Postgres", () => {
  let database: TestDatabase;
  let pg: ReturnType<typeof createPostgres<typeof schema>>;

  before(async () => {
    database = await createTestDatabase({ prefix: "product_store" });
    // One connection, so the session whose prepared statements are listed is the one that ran `get`.
    pg = createPostgres({
      url: database.url,
      logger: createLogger({ service: "test", level: "silent" }),
      max: 1,
      schema,
    });
    await migrate(pg.db, migrationsFolder);
  });

  after(async () => {
    await pg.close();
    await database.drop();
  });

  test("get finds a product by id and answers undefined for an unknown id", async () => {
    const store = createDrizzleProductStore(pg.db);
    const created = await store.create(productNamed("Mug"));
    assert.equal((await store.get(created.id))?.name, "Mug");
    assert.equal(await store.get("00000000-0000-4000-8000-000000000000"), undefined);
  });

  test("get runs as a prepared statement, planned once per connection", async () => {
    const store = createDrizzleProductStore(pg.db);
    const created = await store.create(productNamed("Cup"));
    for (let i = 0; i < 3; i++) await store.get(created.id);
    // The pattern goes in as a parameter so that this query's own text does not match it.
    const lookup = '%from "products" where "products"."id" = $1 limit%';
    const rows = await pg.sql<{ statement: string }[]>`
      select statement from pg_prepared_statements where statement like ${lookup}`;
    assert.equal(rows.length, 1, `prepared product lookups: ${JSON.stringify(rows)}`);
  });
});
