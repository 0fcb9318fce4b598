import type { Interceptor } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { createLogger } from "@shop/platform/log";
import { createTestDatabase } from "@shop/platform/testing";
import { loadProductConfig } from "../src/config.js";
import { type ProductServiceHandle, startProductService } from "../src/service.js";

export interface TestProductService {
  readonly service: ProductServiceHandle;
  /** Calls as an admin (a bearer token with the `admin` role on every call). */
  readonly client: ReturnType<typeof createClient<typeof ProductService>>;
  /** Signs the tokens the service accepts, for tests of who may call what. */
  readonly issuer: TestTokenIssuer;
  /** A client sending `token` as its bearer token, or no token at all when undefined. */
  clientWithToken(token: string | undefined): ReturnType<typeof createClient<typeof ProductService>>;
  readonly baseUrl: string;
  /** The service's own fresh database, for tests that look at rows (the outbox). */
  readonly databaseUrl: string;
  /** Stops the service and drops its database. */
  stop(): Promise<void>;
}

/**
 * Starts the real product service in-process on a free port over a fresh database, with a Connect
 * gRPC client (always HTTP/2) pointed at it. Every test file gets its own database, so runs never share rows.
 */
export async function startTestProductService(
  options: {
    env?: Record<string, string>;
    interceptors?: readonly Interceptor[];
    /** JetStream namespace of the published events (with NATS_URL in `env`). */
    eventsNamespace?: string;
  } = {},
): Promise<TestProductService> {
  const database = await createTestDatabase({ prefix: "product" });
  const config = loadProductConfig({ DATABASE_URL: database.url, ...options.env });
  const issuer = await createTestTokenIssuer();
  let service: ProductServiceHandle;
  try {
    service = await startProductService(
      { ...config, PORT: 0 },
      {
        logger: createLogger({ service: "product", level: "silent" }),
        processMetrics: false,
        auth: issuer.verifier,
        ...(options.interceptors ? { interceptors: options.interceptors } : {}),
        ...(options.eventsNamespace ? { eventsNamespace: options.eventsNamespace } : {}),
      },
    );
  } catch (error) {
    await database.drop();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${service.port}`;
  const clientWithToken = (token: string | undefined) => {
    const withBearer: Interceptor = (next) => (req) => {
      if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    };
    return createClient(ProductService, createGrpcTransport({ baseUrl, interceptors: [withBearer] }));
  };
  const adminToken = await issuer.sign({ userId: "admin", email: "admin@example.com", roles: ["admin"] });
  const client = clientWithToken(adminToken);
  return {
    service,
    client,
    issuer,
    clientWithToken,
    baseUrl,
    databaseUrl: database.url,
    async stop() {
      await service.shutdown();
      await database.drop();
    },
  };
}
