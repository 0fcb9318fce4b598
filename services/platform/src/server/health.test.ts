import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";
import { EchoService } from "../testing/echo-service.js";
import { startQuietGrpcServer } from "../testing/quiet-grpc-server.js";
import { type GrpcServer, serviceImpl } from "./server.js";

/** A garbage collection on demand, so a test can tell retained memory from garbage not yet freed. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

describe("grpc.health.v1.Health with service names from anonymous callers", () => {
  let server: GrpcServer;
  let baseUrl: string;

  before(async () => {
    server = await startQuietGrpcServer({
      services: [serviceImpl(EchoService, { read: (request) => ({ text: request.text }) })],
    });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.shutdown());

  test("Check of a 1 MiB unknown name is NOT_FOUND with a short message, and the connection keeps serving", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    const name = "x".repeat(1024 * 1024);
    await assert.rejects(health.check({ service: name }), (error: unknown) => {
      const connectError = ConnectError.from(error);
      assert.equal(connectError.code, Code.NotFound);
      assert.ok(connectError.rawMessage.length < 300, `message of ${connectError.rawMessage.length} chars`);
      assert.match(connectError.rawMessage, /^unknown service "x+"…$/);
      return true;
    });
    assert.equal((await health.check({ service: "" })).status, HealthCheckResponse_ServingStatus.SERVING);
  });

  test("Watch streams of unknown names leave nothing behind once they end", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    const watchOnce = async (service: string) => {
      const abort = new AbortController();
      for await (const response of health.watch({ service }, { signal: abort.signal })) {
        assert.equal(response.status, HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN);
        break;
      }
      abort.abort();
    };
    await watchOnce("warm-up");
    await new Promise((resolve) => setTimeout(resolve, 100));
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const names = 60;
    for (let i = 0; i < names; i++) await watchOnce(`${i}-${"y".repeat(1024 * 1024)}`);
    // Let the server run the streams' clean-up before measuring.
    await new Promise((resolve) => setTimeout(resolve, 300));
    collectGarbage();
    const grownMiB = (process.memoryUsage().heapUsed - before) / (1024 * 1024);
    assert.ok(grownMiB < names / 3, `heap grew by ${grownMiB.toFixed(1)} MiB after ${names} 1 MiB names`);
  });
});
