import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import pino from "pino";
import { createPostgres, type Postgres } from "../postgres.js";
import { createTestDatabase, type TestDatabase } from "../testing/database.js";
import { EchoService } from "../testing/echo-service.js";
import { type GrpcServer, serviceImpl, startGrpcServer } from "./server.js";

describe("internal error interceptor", () => {
  let database: TestDatabase;
  let postgres: Postgres;
  let server: GrpcServer;
  let baseUrl: string;

  /**
   * Echo through real Postgres, as a service that forgot to validate its text would: `drizzle:<text>`
   * through drizzle (in a transaction, like a store's write), `driver:<text>` through postgres.js alone,
   * and `divide` fails with another Postgres error.
   */
  const echo = serviceImpl(EchoService, {
    async read(request) {
      const [how, text = ""] = request.text.split(/:(.*)/s);
      if (how === "drizzle") {
        return postgres.db.transaction(async (tx) => {
          const rows = await tx.execute<{ text: string }>(sql`select ${text}::text as text`);
          return { text: rows[0]?.text ?? "" };
        });
      }
      if (how === "driver") {
        const [row] = await postgres.sql<{ text: string }[]>`select ${text}::text as text`;
        return { text: row?.text ?? "" };
      }
      await postgres.sql`select 1 / 0`;
      return { text: "unreachable" };
    },
  });

  before(async () => {
    database = await createTestDatabase({ prefix: "platform_errors" });
    const logger = pino({ level: "silent" });
    postgres = createPostgres({ url: database.url, logger, max: 2 });
    server = await startGrpcServer({ port: 0, host: "127.0.0.1", services: [echo], logger });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server?.shutdown();
    await postgres?.close();
    await database?.drop();
  });

  async function codeOf(call: Promise<unknown>): Promise<Code> {
    try {
      await call;
    } catch (error) {
      return ConnectError.from(error).code;
    }
    assert.fail("expected the call to fail");
  }

  test("text Postgres cannot store (a NUL) that reaches the database is INVALID_ARGUMENT, not INTERNAL", async () => {
    const grpc = createClient(EchoService, createGrpcTransport({ baseUrl }));
    assert.equal((await grpc.read({ text: "drizzle:plain" })).text, "plain");
    assert.equal(await codeOf(grpc.read({ text: "drizzle:a\u0000b" })), Code.InvalidArgument);
    assert.equal(await codeOf(grpc.read({ text: "driver:a\u0000b" })), Code.InvalidArgument);
    const connect = createClient(EchoService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    assert.equal(await codeOf(connect.read({ text: "drizzle:\u0000" })), Code.InvalidArgument);
  });

  test("other database errors stay a generic INTERNAL", async () => {
    const grpc = createClient(EchoService, createGrpcTransport({ baseUrl }));
    await assert.rejects(grpc.read({ text: "divide" }), (error: unknown) => {
      const connectError = ConnectError.from(error);
      assert.equal(connectError.code, Code.Internal);
      assert.equal(connectError.rawMessage, "internal error");
      return true;
    });
  });
});
