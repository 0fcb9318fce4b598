import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { createLogger } from "./log.js";
import { createPostgres, type Postgres } from "./postgres.js";
import { isUniqueViolation, isUnstorableTextError } from "./postgres-errors.js";
import { createTestDatabase, type TestDatabase } from "./testing/database.js";

/** The error `query` fails with; fails the test if it succeeds. */
async function errorOf(query: PromiseLike<unknown>): Promise<unknown> {
  try {
    await query;
  } catch (error) {
    return error;
  }
  assert.fail("expected the query to fail");
}

describe("Postgres errors, as postgres.js and drizzle throw them", () => {
  let database: TestDatabase;
  let postgres: Postgres;

  before(async () => {
    database = await createTestDatabase({ prefix: "platform_pgerrors" });
    postgres = createPostgres({
      url: database.url,
      logger: createLogger({ service: "test", level: "silent" }),
      max: 2,
    });
    // Two unique constraints on one table, as a real table has: each means something different.
    await postgres.sql`
      create table accounts (
        id int primary key,
        email text constraint accounts_email_key unique,
        handle text constraint accounts_handle_key unique
      )`;
    await postgres.sql`insert into accounts values (1, 'ada@example.com', 'ada')`;
  });
  after(async () => {
    await postgres?.close();
    await database?.drop();
  });

  const duplicateEmail = (id: number) =>
    sql`insert into accounts values (${id}, 'ada@example.com', ${`h${id}`})`;

  test("a unique violation thrown by postgres.js is recognised by its constraint's name only", async () => {
    const error = await errorOf(postgres.sql`insert into accounts values (2, 'ada@example.com', 'other')`);
    assert.equal((error as Error).name, "PostgresError");
    assert.equal(isUniqueViolation(error, "accounts_email_key"), true);
    assert.equal(isUniqueViolation(error, "accounts_handle_key"), false);
    assert.equal(isUnstorableTextError(error), false);
  });

  test("a unique violation wrapped by drizzle (DrizzleQueryError), alone or in a transaction, is recognised", async () => {
    const wrapped = await errorOf(postgres.db.execute(duplicateEmail(3)));
    assert.ok(wrapped instanceof DrizzleQueryError, `drizzle wraps the driver's error, got ${wrapped}`);
    assert.equal(isUniqueViolation(wrapped, "accounts_email_key"), true);
    assert.equal(isUniqueViolation(wrapped, "accounts_handle_key"), false);

    const inTransaction = await errorOf(postgres.db.transaction((tx) => tx.execute(duplicateEmail(4))));
    assert.equal(isUniqueViolation(inTransaction, "accounts_email_key"), true);
    assert.equal(isUniqueViolation(inTransaction, "accounts_handle_key"), false);
  });

  test("an error that only looks like a unique violation (a plain Error with code 23505) is not one", () => {
    const lookalike = Object.assign(new Error("duplicate key"), {
      code: "23505",
      constraint_name: "accounts_email_key",
    });
    assert.equal(isUniqueViolation(lookalike, "accounts_email_key"), false);
    assert.equal(isUniqueViolation(new Error("wrapper", { cause: lookalike }), "accounts_email_key"), false);
    assert.equal(isUniqueViolation(undefined, "accounts_email_key"), false);
  });

  test("a NUL in a text parameter is unstorable text, through postgres.js and through drizzle", async () => {
    const direct = await errorOf(postgres.sql`select ${"a\u0000b"}::text`);
    assert.equal(isUnstorableTextError(direct), true);
    assert.equal(isUniqueViolation(direct, "accounts_email_key"), false);

    const wrapped = await errorOf(postgres.db.execute(sql`select ${"a\u0000b"}::text`));
    assert.ok(wrapped instanceof DrizzleQueryError);
    assert.equal(isUnstorableTextError(wrapped), true);

    const otherError = await errorOf(postgres.sql`select 1 / 0`);
    assert.equal(isUnstorableTextError(otherError), false);
  });
});
