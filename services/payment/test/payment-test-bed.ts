import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { createTestTokenIssuer } from "@shop/platform/auth/testing";
import type { Logger } from "@shop/platform/log";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import type { CardProvider } from "../src/card-provider.js";
import { loadPaymentConfig } from "../src/config.js";
import { type RunningPaymentService, startPaymentService } from "../src/service.js";

export interface PaymentTestBed {
  readonly database: TestDatabase;
  /** A plain connection to the test database, for reading the service's rows. */
  readonly sql: postgres.Sql;
  /**
   * A payment service over the test database whose owed-refund worker runs a pass at start and then
   * only when a test asks, with a zero backoff so a failed refund is due again at once; and a client.
   * The charge deadline and in-flight margin are the defaults unless `chargeTimeoutMs` is given.
   */
  startService(
    provider: CardProvider,
    options?: { logger?: Logger; metricsPort?: number; chargeTimeoutMs?: number },
  ): Promise<{ service: RunningPaymentService; client: ReturnType<typeof createPaymentClient> }>;
  /** Stops every service started, closes `sql` and drops the database. */
  close(): Promise<void>;
}

function createPaymentClient(port: number) {
  return createClient(PaymentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
}

/** A fresh database and token issuer for the payment tests that drive the owed-refund worker. */
export async function createPaymentTestBed(prefix: string): Promise<PaymentTestBed> {
  const database = await createTestDatabase({ prefix });
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const issuer = await createTestTokenIssuer();
  const running: RunningPaymentService[] = [];
  return {
    database,
    sql,
    async startService(provider, options = {}) {
      const config = loadPaymentConfig({
        PORT: "1",
        DATABASE_URL: database.url,
        LOG_LEVEL: "silent",
        OWED_REFUND_SCAN_INTERVAL_MS: "1h",
        OWED_REFUND_RETRY_BASE_MS: "1",
        OWED_REFUND_RETRY_MAX_MS: "1",
      });
      const service = await startPaymentService(
        {
          ...config,
          PORT: 0,
          ...(options.metricsPort === undefined ? {} : { METRICS_PORT: options.metricsPort }),
          ...(options.chargeTimeoutMs === undefined
            ? {}
            : { CARD_CHARGE_TIMEOUT_MS: options.chargeTimeoutMs }),
        },
        { verifier: issuer.verifier, provider, ...(options.logger ? { logger: options.logger } : {}) },
      );
      running.push(service);
      return { service, client: createPaymentClient(service.port) };
    },
    async close() {
      for (const service of running) await service.shutdown();
      await sql.end({ timeout: 5 });
      await database.drop();
    },
  };
}
