import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createEvent, type ShopEvent } from "@shop/platform/events/event-codec";
import type { Logger } from "@shop/platform/log";
import { type RepeatingTask, repeatAfterSettled } from "@shop/platform/repeat-after-settled";
import { toProtoMoney } from "../order-proto.js";
import type { OrderRecord, OrderStore } from "../store/order-store.js";
import type { SagaMetrics } from "./saga-metrics.js";
import type { SagaStepRunner } from "./saga-steps.js";
import { nextTransition, type SagaPolicy } from "./saga-transitions.js";

export interface SagaWorkerOptions {
  readonly store: OrderStore;
  readonly runStep: SagaStepRunner;
  readonly logger: Logger;
  readonly policy: SagaPolicy;
  /** How long a claimed order is ours without renewal; renewed at every step. */
  readonly leaseMs: number;
  /** Pause before retrying a transiently failed step; grows linearly with the attempts, capped ×10. */
  readonly retryDelayMs: number;
  /** How often to look for orders left behind by crashed workers. */
  readonly scanIntervalMs: number;
  /** Identifies this worker in leases; unique per process by default. */
  readonly workerId?: string;
  /** Clock, so tests can move past a lease without waiting for it. */
  readonly now?: () => Date;
  /** Counts the sagas this worker brings to their end (`saga_outcomes_total`). */
  readonly metrics?: SagaMetrics;
}

export interface DriveOptions {
  /** Stop after this many persisted steps (tests use it to simulate a crash mid-saga). */
  readonly maxSteps?: number;
}

export interface SagaWorker {
  readonly workerId: string;
  /** Starts driving an order in the background (after PlaceOrder or CancelOrder). */
  kick(orderId: string): void;
  /** Drives one order until its saga is DONE, it is lost to another worker, or `maxSteps` ran. */
  drive(orderId: string, options?: DriveOptions): Promise<OrderRecord | undefined>;
  /** Resumes every order whose lease expired, now. Returns how many were picked up. */
  scan(): Promise<number>;
  /** Scans now and then every `scanIntervalMs`. */
  start(): void;
  /** Stops scanning and waits for the orders being driven to reach a persisted step. */
  stop(): Promise<void>;
}

function terminalEvent(order: OrderRecord, kind: "confirmed" | "cancelled", reason: string): ShopEvent {
  if (kind === "confirmed") {
    return createEvent(OrderConfirmedSchema, {
      orderId: order.id,
      userId: order.userId,
      total: toProtoMoney(order.total),
    });
  }
  return createEvent(OrderCancelledSchema, { orderId: order.id, userId: order.userId, reason });
}

/**
 * The durable driver of checkout sagas. Every step's result is persisted before the next step starts,
 * so a worker that dies (kill -9) leaves the order at its last completed step; once the lease runs
 * out, any worker's scan claims it and continues from there. Leases and every write go through the
 * store's optimistic version check, so two order-service instances never drive one order at once:
 * the loser's write fails and it steps back.
 */
export function createSagaWorker(options: SagaWorkerOptions): SagaWorker {
  const { store, runStep, policy, leaseMs } = options;
  const workerId = options.workerId ?? `worker-${randomUUID()}`;
  const now = options.now ?? (() => new Date());
  const logger = options.logger.child({ component: "saga-worker", worker: workerId });
  const active = new Map<string, Promise<unknown>>();
  let scans: RepeatingTask | undefined;
  let stopped = false;

  const leaseUntil = () => new Date(now().getTime() + leaseMs);

  async function claim(orderId: string): Promise<OrderRecord | undefined> {
    const order = await store.get(orderId);
    if (!order || order.saga.step === "DONE") return undefined;
    const heldByOther =
      order.saga.leaseOwner !== "" &&
      order.saga.leaseOwner !== workerId &&
      order.saga.leaseExpiresAt.getTime() > now().getTime();
    if (heldByOther) return undefined;
    return store.update(order.id, order.version, {
      saga: { leaseOwner: workerId, leaseExpiresAt: leaseUntil() },
    });
  }

  async function drive(orderId: string, driveOptions: DriveOptions = {}): Promise<OrderRecord | undefined> {
    let order = await claim(orderId);
    if (!order) return store.get(orderId);
    const log = logger.child({ order_id: orderId });
    const maxSteps = driveOptions.maxSteps ?? Number.POSITIVE_INFINITY;
    for (let steps = 0; steps < maxSteps && order.saga.step !== "DONE" && !stopped; steps++) {
      const outcome = await runStep(order);
      const transition = nextTransition(order, outcome, policy);
      const change = transition.change;
      const stillOurs =
        change.saga?.step === "DONE" ? {} : { leaseOwner: workerId, leaseExpiresAt: leaseUntil() };
      const reason = change.statusReason ?? order.statusReason;
      const event = transition.event && terminalEvent(order, transition.event, reason);
      const saved = await store.update(
        order.id,
        order.version,
        { ...change, saga: { ...change.saga, ...stillOurs } },
        event,
      );
      if (!saved) {
        // Someone else wrote (a customer cancel, or a worker that took over an expired lease).
        const current = await store.get(orderId);
        if (!current || current.saga.leaseOwner !== workerId) {
          log.info("lost the order to another writer; stepping back");
          return current;
        }
        order = current;
        continue;
      }
      order = saved;
      // Counted once per saga: only the write that moved the saga to DONE succeeds (version check).
      if (saved.saga.step === "DONE") options.metrics?.sagaEnded(saved.status);
      log.info({ step: order.saga.step, outcome: outcome.kind, status: order.status }, "saga step persisted");
      if (transition.retry) {
        log.warn({ attempts: order.saga.attempts, outcome }, "saga step failed; will retry");
        if (order.saga.step === "COMPENSATING" && order.saga.attempts >= policy.maxStepAttempts) {
          // Keep the lease until it expires: the periodic scan retries later without a hot loop.
          return order;
        }
        await delay(options.retryDelayMs * Math.min(order.saga.attempts, 10));
      }
    }
    return order;
  }

  function kick(orderId: string): void {
    if (stopped || active.has(orderId)) return;
    const running = drive(orderId)
      .catch((error) =>
        logger.error({ err: error, order_id: orderId }, "saga drive failed; the scan retries"),
      )
      .finally(() => active.delete(orderId));
    active.set(orderId, running);
  }

  async function scan(): Promise<number> {
    const due = await store.findResumable(now(), 50);
    for (const order of due) kick(order.id);
    return due.length;
  }

  return {
    workerId,
    kick,
    drive,
    scan,
    start() {
      scans = repeatAfterSettled(scan, options.scanIntervalMs, (error) =>
        logger.error({ err: error }, "saga scan failed"),
      );
    },
    async stop() {
      stopped = true;
      scans?.stop();
      await Promise.allSettled([...active.values()]);
    },
  };
}
