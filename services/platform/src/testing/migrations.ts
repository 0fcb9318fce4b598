import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** One migration as drizzle-kit writes it: a tag (file name without `.sql`) and its SQL. */
export interface TestMigration {
  readonly tag: string;
  readonly sql: string;
}

/**
 * Writes a migrations folder the way drizzle-kit lays it out: SQL files plus `meta/_journal.json`.
 * Why: tests of the migration helpers need their own small schemas, applied by the real migrator,
 * without depending on any service's committed migrations.
 */
export async function writeTestMigrations(
  folder: string,
  migrations: readonly TestMigration[],
): Promise<void> {
  await mkdir(join(folder, "meta"), { recursive: true });
  for (const migration of migrations) await writeFile(join(folder, `${migration.tag}.sql`), migration.sql);
  const entries = migrations.map((migration, idx) => ({
    idx,
    version: "7",
    when: 1_700_000_000_000 + idx,
    tag: migration.tag,
    breakpoints: true,
  }));
  await writeFile(
    join(folder, "meta", "_journal.json"),
    JSON.stringify({ version: "7", dialect: "postgresql", entries }),
  );
}
