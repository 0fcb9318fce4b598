import { defineConfig } from "drizzle-kit";

// drizzle-kit reads this to turn src/schema.ts into the committed SQL migrations in drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
