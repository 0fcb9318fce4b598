import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { GetProductRequestSchema, ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { createLogger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { startTestGrpcServer, type TestGrpcServer } from "@shop/platform/testing";
import { createUpstreams } from "./upstreams.js";

const logger = createLogger({ service: "edge-upstreams-test", level: "silent" });

describe("edge upstreams follow UPSTREAM_RETRY_ATTEMPTS", () => {
  const servers: TestGrpcServer[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });

  for (const attempts of [1, 3]) {
    test(`an idempotent call to an unavailable upstream is sent ${attempts} time(s)`, async () => {
      let calls = 0;
      const server = await startTestGrpcServer((router) =>
        router.service(ProductService, {
          getProduct() {
            calls++;
            throw new ConnectError("down for the test", Code.Unavailable);
          },
        }),
      );
      servers.push(server);
      const upstreams = createUpstreams({
        urls: { product: server.baseUrl },
        timeoutMs: 2000,
        retryAttempts: attempts,
        logger,
        metrics: createMetrics({ service: "edge-upstreams-test", processMetrics: false }),
      });
      try {
        await assert.rejects(
          upstreams.callUnary(
            ProductService.method.getProduct,
            create(GetProductRequestSchema, { id: "p-1" }),
            { headers: new Headers(), signal: new AbortController().signal },
          ),
          (error: unknown) => ConnectError.from(error).code === Code.Unavailable,
        );
        assert.equal(calls, attempts);
      } finally {
        upstreams.close();
      }
    });
  }
});
