import { defineConfig } from "drizzle-kit";

/**
 * drizzle-kit config of the platform's event tables (outbox, processed_events). They live in every
 * service database but are owned here, so their migrations are generated and kept beside this file:
 * `npx drizzle-kit generate --config services/platform/drizzle-outbox/drizzle.config.ts`.
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./services/platform/src/events/event-tables.ts",
  out: "./services/platform/drizzle-outbox/migrations",
});
