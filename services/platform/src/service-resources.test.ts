import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLogger } from "./log.js";
import { createServiceResources, startWithResources } from "./service-resources.js";
import { createLogSink } from "./testing/log-sink.js";

function quietLogger() {
  const sink = createLogSink();
  return {
    sink,
    logger: createLogger({ service: "resources-test", level: "error", destination: sink.stream }),
  };
}

describe("service resources", () => {
  test("close runs the closers last registered first, once however often it is called", async () => {
    const { logger } = quietLogger();
    const resources = createServiceResources(logger);
    const closed: string[] = [];
    for (const name of ["pool", "relay", "consumer"]) resources.defer(() => closed.push(name));
    await Promise.all([resources.close(), resources.close()]);
    await resources.close();
    assert.deepEqual(closed, ["consumer", "relay", "pool"]);
  });

  test("a failing closer is logged and the ones below it still run", async () => {
    const { logger, sink } = quietLogger();
    const resources = createServiceResources(logger);
    const closed: string[] = [];
    resources.defer(() => closed.push("pool"));
    resources.defer(async () => {
      throw new Error("relay would not stop");
    });
    resources.defer(() => closed.push("client"));
    await resources.close();
    assert.deepEqual(closed, ["client", "pool"]);
    const errors = sink.records().filter((record) => record.level === "error");
    assert.equal(errors.length, 1);
    assert.match(
      String((errors[0]?.err as { message?: string } | undefined)?.message),
      /relay would not stop/,
    );
  });

  test("a closer registered after closing began runs right away instead of leaking", async () => {
    const { logger } = quietLogger();
    const resources = createServiceResources(logger);
    await resources.close();
    let closed = false;
    resources.defer(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, true);
  });

  test("startWithResources closes what was opened when start-up throws, and rethrows", async () => {
    const { logger } = quietLogger();
    const closed: string[] = [];
    const failure = new Error("migration failed");
    await assert.rejects(
      startWithResources(logger, async (resources) => {
        resources.defer(() => closed.push("pool"));
        resources.defer(() => closed.push("verifier"));
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.deepEqual(closed, ["verifier", "pool"]);
  });

  test("startWithResources leaves everything open when start-up succeeds", async () => {
    const { logger } = quietLogger();
    const closed: string[] = [];
    const started = await startWithResources(logger, async (resources) => {
      resources.defer(() => closed.push("pool"));
      return { resources };
    });
    assert.deepEqual(closed, []);
    await started.resources.close();
    assert.deepEqual(closed, ["pool"]);
  });
});
