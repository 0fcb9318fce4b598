import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { after, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@shop/gen/health/v1/health_pb";
import { createLogger } from "./log.js";
import { requestLoggerKey } from "./request-context.js";
import { ServingStatus } from "./server/health.js";
import { serviceImpl } from "./server/server.js";
import { startServiceRuntime } from "./service-runtime.js";
import { EchoService } from "./testing/echo-service.js";
import { createLogSink } from "./testing/log-sink.js";

const echo = serviceImpl(EchoService, {
  read: (request) => ({ text: request.text }),
  write: (request) => ({ text: request.text.toUpperCase() }),
});

/** Rejects `Write` the way an auth interceptor would, and records whether it ran inside request logging. */
function denyWrites(seen: { loggerSet: boolean[] }): Interceptor {
  return (next) => async (request) => {
    seen.loggerSet.push(request.contextValues.get(requestLoggerKey).isLevelEnabled("info"));
    if (request.method.name === "Write") throw new ConnectError("admins only", Code.PermissionDenied);
    return next(request);
  };
}

async function startEchoRuntime(extra: readonly Interceptor[] = [], hooks: Array<() => unknown> = []) {
  const sink = createLogSink();
  const logger = createLogger({ service: "echo", level: "info", destination: sink.stream });
  const runtime = await startServiceRuntime({
    name: "echo",
    port: 0,
    host: "127.0.0.1",
    logLevel: "info",
    metricsPort: 0,
    services: [echo],
    interceptors: extra,
    onShutdown: hooks,
    logger,
    processMetrics: false,
  });
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${runtime.port}` });
  return {
    runtime,
    sink,
    client: createClient(EchoService, transport),
    health: createClient(Health, transport),
  };
}

async function scrape(port: number | undefined): Promise<string> {
  assert.ok(port, "a metrics port was bound");
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return undefined;
}

/**
 * Whether a TCP connection to host:port is accepted. A timeout counts as refused, so a firewall
 * that silently drops the SYN cannot hang the test.
 */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const settle = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once("connect", () => settle(true));
    socket.once("timeout", () => settle(false));
    socket.once("error", () => settle(false));
  });
}

/** Whether a listener on every interface can be reached at `address` (no firewall in the way). */
async function reachableOnEveryInterface(address: string): Promise<boolean> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  try {
    const { port } = server.address() as { port: number };
    return await accepts(address, port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("startServiceRuntime", () => {
  const started: Array<{ shutdown(): Promise<void> }> = [];
  after(async () => {
    for (const runtime of started) await runtime.shutdown();
  });

  it("serves the services with health, one request-log line and RED metrics per call", async () => {
    const { runtime, sink, client, health } = await startEchoRuntime();
    started.push(runtime);

    const response = await client.read({ text: "hello" });
    assert.equal(response.text, "hello");
    const check = await health.check({ service: EchoService.typeName });
    assert.equal(check.status, ServingStatus.SERVING);

    const lines = sink.records().filter((r) => r.procedure === "/shop.testing.v1.EchoService/Read");
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.code, "ok");
    assert.equal(lines[0]?.service, "echo");

    const text = await scrape(runtime.metricsPort);
    assert.match(
      text,
      /rpc_server_requests_total\{method="\/shop\.testing\.v1\.EchoService\/Read",code="ok",service="echo"\} 1/,
    );
  });

  it("runs extra interceptors inside request logging and metrics, so their rejections are logged and counted", async () => {
    const seen = { loggerSet: [] as boolean[] };
    const { runtime, sink, client } = await startEchoRuntime([denyWrites(seen)]);
    started.push(runtime);

    await assert.rejects(client.write({ text: "x" }), (error: unknown) => {
      assert.equal(ConnectError.from(error).code, Code.PermissionDenied);
      return true;
    });
    assert.equal((await client.read({ text: "y" })).text, "y");

    // The default request logger is disabled; a child of the runtime's logger is enabled at info.
    assert.deepEqual(seen.loggerSet, [true, true]);
    const writeLine = sink.records().find((r) => r.procedure === "/shop.testing.v1.EchoService/Write");
    assert.equal(writeLine?.code, "permission_denied");
    const text = await scrape(runtime.metricsPort);
    assert.match(
      text,
      /rpc_server_requests_total\{method="\/shop\.testing\.v1\.EchoService\/Write",code="permission_denied",service="echo"\} 1/,
    );
  });

  it("shutdown runs the hooks, closes the gRPC and metrics listeners, and is idempotent", async () => {
    const order: string[] = [];
    const { runtime, client } = await startEchoRuntime([], [() => order.push("store closed")]);
    await client.read({ text: "warm" });
    const metricsPort = runtime.metricsPort;

    await Promise.all([runtime.shutdown(), runtime.shutdown()]);

    assert.deepEqual(order, ["store closed"]);
    assert.equal(runtime.health.get(""), ServingStatus.NOT_SERVING);
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`));
    const fresh = createClient(
      EchoService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${runtime.port}` }),
    );
    await assert.rejects(fresh.read({ text: "late" }), (error: unknown) => {
      assert.equal(ConnectError.from(error).code, Code.Unavailable);
      return true;
    });
  });

  it("binds the gRPC and metrics listeners to `host` only", async (t) => {
    const external = externalAddress();
    if (!external) {
      t.skip("this machine has no non-loopback IPv4 address to try the bind against");
      return;
    }
    if (!(await reachableOnEveryInterface(external))) {
      t.skip(`a listener on every interface is not reachable at ${external} either`);
      return;
    }
    const { runtime } = await startEchoRuntime();
    started.push(runtime);
    const metricsPort = runtime.metricsPort;
    assert.ok(metricsPort, "a metrics port was bound");

    assert.equal(await accepts("127.0.0.1", runtime.port), true, "gRPC on loopback");
    assert.equal(await accepts("127.0.0.1", metricsPort), true, "metrics on loopback");
    assert.equal(await accepts(external, runtime.port), false, `gRPC on ${external}`);
    assert.equal(await accepts(external, metricsPort), false, `metrics on ${external}`);
  });

  it("does not leave the gRPC port open when the metrics port cannot be bound", async () => {
    const first = await startEchoRuntime();
    started.push(first.runtime);
    const sink = createLogSink();
    await assert.rejects(
      startServiceRuntime({
        name: "echo",
        port: 0,
        host: "127.0.0.1",
        logLevel: "silent",
        metricsPort: first.runtime.metricsPort,
        services: [echo],
        logger: createLogger({ service: "echo", level: "info", destination: sink.stream }),
        processMetrics: false,
      }),
      /EADDRINUSE/,
    );
    const stopped = sink.records().find((r) => r.msg === "stopped");
    assert.ok(stopped, "the gRPC server that had started was shut down");
  });
});
