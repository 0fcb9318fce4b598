import { defineConfig } from "drizzle-kit";

// drizzle-kit reads this to turn the Postgres adapter's tables into the committed SQL in drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/postgres-schema.ts",
  out: "./drizzle",
});
