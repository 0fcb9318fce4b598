import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { createMongoOrderStore } from "./mongo-order-store.js";
import { registerOrderStoreContract } from "./order-store.contract.js";

// Tests may read the environment directly: they are not service code. MongoDB does not run on the
// development machines, so this suite runs only where MONGO_URL points at a replica set.
const mongoUrl = process.env.MONGO_URL;

registerOrderStoreContract(
  "mongodb",
  async () => {
    if (!mongoUrl) throw new Error("MONGO_URL not set");
    const databaseName = `order_store_${randomUUID().replaceAll("-", "")}`;
    const store = await createMongoOrderStore({ url: mongoUrl, databaseName });
    const admin = new MongoClient(mongoUrl);
    await admin.connect();
    const outbox = admin.db(databaseName).collection<{ _id: string }>("outbox");
    return {
      store,
      outboxEventIds: async () =>
        (await outbox.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id),
      async dispose() {
        await store.close();
        await admin.db(databaseName).dropDatabase();
        await admin.close();
      },
    };
  },
  mongoUrl ? {} : { skip: "MONGO_URL not set: no MongoDB server on this machine" },
);
