import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createEvent } from "@shop/platform/events/event-codec";
import { createLogger } from "@shop/platform/log";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import { Registry } from "prom-client";
import { sampleOrder } from "../store/order-store.contract.js";
import type { OrderRecord, OrderStore } from "../store/order-store.js";
import { createPostgresOrderStore } from "../store/postgres-order-store.js";
import { createSagaMetrics, type SagaMetrics } from "./saga-metrics.js";
import type { SagaStepRunner } from "./saga-steps.js";
import type { StepOutcome } from "./saga-transitions.js";
import { createSagaWorker } from "./saga-worker.js";

const logger = createLogger({ service: "order", level: "silent" });

/** The counter's value per outcome label, read back through the registry as Prometheus would. */
async function outcomes(registry: Registry): Promise<{ confirmed: number; cancelled: number }> {
  const metric = registry.getSingleMetric("saga_outcomes_total");
  assert.ok(metric, "saga_outcomes_total is registered");
  const { values } = await metric.get();
  const of = (outcome: string) => {
    const series = values.find((value) => value.labels.outcome === outcome);
    assert.ok(series, `a series for outcome="${outcome}"`);
    return series.value;
  };
  assert.equal(values.length, 2, "only the two outcome series");
  return { confirmed: of("confirmed"), cancelled: of("cancelled") };
}

describe("saga_outcomes_total", () => {
  let database: TestDatabase;
  let store: OrderStore & { close(): Promise<void> };
  let registry: Registry;
  let metrics: SagaMetrics;

  /** A step runner that plays the upstreams: every order's card is approved unless it is in `declined`. */
  const declined = new Set<string>();
  const runStep: SagaStepRunner = async (order: OrderRecord): Promise<StepOutcome> => {
    switch (order.saga.step) {
      case "RESERVING":
        return { kind: "reserved" };
      case "CHARGING":
        return declined.has(order.id)
          ? { kind: "declined", paymentId: `pay-${order.id}`, reason: "card declined" }
          : { kind: "captured", paymentId: `pay-${order.id}` };
      case "COMMITTING":
        return { kind: "committed" };
      default:
        return { kind: "compensated" };
    }
  };

  before(async () => {
    database = await createTestDatabase({ prefix: "order_saga_metrics" });
    store = await createPostgresOrderStore({ url: database.url, logger, max: 2 });
    registry = new Registry();
    metrics = createSagaMetrics(registry);
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  async function placeAndDrive(options: { decline?: boolean } = {}) {
    const order = sampleOrder();
    if (options.decline) declined.add(order.id);
    await store.create(order, createEvent(OrderPlacedSchema, { orderId: order.id, userId: order.userId }));
    const worker = createSagaWorker({
      store,
      runStep,
      logger,
      policy: { maxStepAttempts: 3 },
      leaseMs: 60_000,
      retryDelayMs: 1,
      scanIntervalMs: 60_000,
      metrics,
    });
    const final = await worker.drive(order.id);
    await worker.stop();
    return { final, worker };
  }

  test("both outcomes are exported at zero before any saga ends", async () => {
    const fresh = new Registry();
    createSagaMetrics(fresh);
    assert.deepEqual(await outcomes(fresh), { confirmed: 0, cancelled: 0 });
  });

  test("a confirmed and a declined checkout count once each; driving a finished order again adds nothing", async () => {
    const start = await outcomes(registry);
    const confirmed = await placeAndDrive();
    assert.equal(confirmed.final?.status, "CONFIRMED");
    assert.deepEqual(await outcomes(registry), {
      confirmed: start.confirmed + 1,
      cancelled: start.cancelled,
    });

    const cancelled = await placeAndDrive({ decline: true });
    assert.equal(cancelled.final?.status, "CANCELLED");
    assert.deepEqual(await outcomes(registry), {
      confirmed: start.confirmed + 1,
      cancelled: start.cancelled + 1,
    });

    const again = createSagaWorker({
      store,
      runStep,
      logger,
      policy: { maxStepAttempts: 3 },
      leaseMs: 60_000,
      retryDelayMs: 1,
      scanIntervalMs: 60_000,
      metrics,
    });
    assert.ok(confirmed.final);
    await again.drive(confirmed.final.id);
    await again.stop();
    assert.deepEqual(await outcomes(registry), {
      confirmed: start.confirmed + 1,
      cancelled: start.cancelled + 1,
    });
  });
});
