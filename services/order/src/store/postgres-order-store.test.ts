import { createLogger } from "@shop/platform/log";
import { createTestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { registerOrderStoreContract } from "./order-store.contract.js";
import { createPostgresOrderStore } from "./postgres-order-store.js";

registerOrderStoreContract("postgres", async () => {
  const database = await createTestDatabase({ prefix: "order_store" });
  const store = await createPostgresOrderStore({
    url: database.url,
    logger: createLogger({ service: "order", level: "silent" }),
  });
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  return {
    store,
    outboxEventIds: async () => (await sql<{ id: string }[]>`select id from outbox`).map((row) => row.id),
    async dispose() {
      await store.close();
      await sql.end({ timeout: 5 });
      await database.drop();
    },
  };
});
