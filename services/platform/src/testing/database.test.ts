import assert from "node:assert/strict";
import { describe, it } from "node:test";
import postgres from "postgres";
import { createTestDatabase } from "./database.js";

const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function databaseExists(name: string): Promise<boolean> {
  const admin = postgres(adminUrl, { max: 1 });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    return rows.length === 1;
  } finally {
    await admin.end();
  }
}

describe("createTestDatabase", () => {
  it("creates a fresh, usable database and drops it even with open connections", async () => {
    const first = await createTestDatabase({ prefix: "platform" });
    const second = await createTestDatabase({ prefix: "platform" });
    assert.notEqual(first.name, second.name);
    assert.match(first.name, /^platform_[a-z0-9_]+$/);
    assert.ok(first.url.endsWith(`/${first.name}`));

    const sql = postgres(first.url, { max: 1, onnotice: () => {} });
    await sql`create table things (id int primary key)`;
    await sql`insert into things values (1)`;
    const [{ db }] = (await sql`select current_database() as db`) as unknown as [{ db: string }];
    assert.equal(db, first.name);
    assert.ok(await databaseExists(first.name));

    await first.drop(); // while `sql` still holds a connection
    await first.drop(); // and again: idempotent
    assert.equal(await databaseExists(first.name), false);
    await sql.end({ timeout: 1 }).catch(() => undefined);

    const other = postgres(second.url, { max: 1 });
    const tables =
      await other`select table_name from information_schema.tables where table_schema = 'public'`;
    assert.equal(tables.length, 0, "a new database starts empty");
    await other.end();
    await second.drop();
  });
});
