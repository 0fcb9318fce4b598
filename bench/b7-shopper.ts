/**
 * What one B7 shopper does through the public REST API: set-up (register, log in, stock products as
 * the admin) and the timed checkout itself — add one unit to the cart, POST /v1/orders with an
 * Idempotency-Key, then poll the order until the saga has CONFIRMED it.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { RestAnswer, RestCall } from "./b7-rest.js";

export interface Shopper {
  readonly email: string;
  readonly token: string;
}

/** Timings of one checkout, in milliseconds. */
export interface CheckoutTiming {
  /** From POST /v1/orders sent to its answer (PENDING). */
  readonly placeMs: number;
  /** From POST /v1/orders sent to the first poll that saw CONFIRMED. */
  readonly confirmMs: number;
  /** The whole checkout, the cart step included. */
  readonly totalMs: number;
  /** GET /v1/orders/{id} calls made until CONFIRMED was seen. */
  readonly polls: number;
}

export interface CheckoutOptions {
  readonly pollIntervalMs: number;
  /** A checkout not CONFIRMED this long after POST /v1/orders fails the run. */
  readonly confirmTimeoutMs: number;
}

const shippingAddress = {
  name: "Bench Shopper",
  line1: "1 Load Street",
  line2: "",
  city: "Lyon",
  region: "",
  postalCode: "69001",
  country: "FR",
};

/**
 * A checkout step the edge answered with an HTTP error (e.g. 503 when an upstream is overloaded).
 * The load loops count these as rejected checkouts instead of aborting the run; a CANCELLED order or
 * a missing confirmation is a plain Error and does abort it.
 */
export class RejectedStepError extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    body: unknown,
  ) {
    super(`${step} answered HTTP ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    this.name = "RejectedStepError";
  }
}

function expectOk(step: string, answer: RestAnswer): void {
  if (answer.status !== 200) throw new RejectedStepError(step, answer.status, answer.body);
}

/** Registers a new account and logs it in, as a first-time visitor does (not timed). */
export async function createShopper(call: RestCall, label: string): Promise<Shopper> {
  const email = `b7-${label}-${randomUUID()}@example.com`;
  const password = `pw-${randomUUID()}`;
  expectOk("register", await call("POST", "/v1/auth/register", { body: { email, password, name: label } }));
  const login = await call("POST", "/v1/auth/login", { body: { email, password } });
  expectOk("login", login);
  return { email, token: login.body.accessToken as string };
}

/**
 * Logs in as the seeded admin and gives the first `count` demo products `units` of stock, so B7
 * never runs out and no checkout is cancelled for want of stock. Returns the products' ids.
 */
export async function stockProducts(
  call: RestCall,
  admin: { email: string; password: string },
  count: number,
  units: number,
): Promise<string[]> {
  const login = await call("POST", "/v1/auth/login", { body: admin });
  expectOk("admin login", login);
  const list = await call("GET", `/v1/products?pageSize=${count}`);
  expectOk("list products", list);
  const ids = (list.body.products as Array<{ id: string }>).slice(0, count).map((p) => p.id);
  if (ids.length < count) throw new Error(`the demo catalog has ${ids.length} products, B7 needs ${count}`);
  for (const id of ids) {
    const set = await call("PUT", `/v1/inventory/${id}`, {
      token: login.body.accessToken,
      body: { available: units },
    });
    expectOk(`set stock of ${id}`, set);
  }
  return ids;
}

/**
 * One checkout, timed. Throws RejectedStepError on a non-200 answer, and a plain Error on CANCELLED or
 * when the order is not CONFIRMED within the timeout: B7's rate only counts checkouts that succeeded.
 */
export async function checkout(
  call: RestCall,
  shopper: Shopper,
  productId: string,
  options: CheckoutOptions,
): Promise<CheckoutTiming> {
  const started = performance.now();
  const add = await call("POST", "/v1/cart/items", {
    token: shopper.token,
    body: { productId, quantity: 1 },
  });
  expectOk("POST /v1/cart/items", add);
  const placeSent = performance.now();
  const placed = await call("POST", "/v1/orders", {
    token: shopper.token,
    headers: { "idempotency-key": randomUUID() },
    body: { payment: { cardToken: "tok_visa" }, shippingAddress },
  });
  const placeMs = performance.now() - placeSent;
  expectOk("POST /v1/orders", placed);
  const orderId = placed.body.order?.id as string | undefined;
  if (!orderId) throw new Error(`POST /v1/orders returned no order id: ${JSON.stringify(placed.body)}`);
  let status = placed.body.order.status as string;
  let polls = 0;
  while (status !== "ORDER_STATUS_CONFIRMED") {
    if (status === "ORDER_STATUS_CANCELLED") {
      throw new Error(`order ${orderId} was CANCELLED during the benchmark`);
    }
    if (performance.now() - placeSent > options.confirmTimeoutMs) {
      throw new Error(`order ${orderId} still ${status} after ${options.confirmTimeoutMs} ms`);
    }
    await delay(options.pollIntervalMs);
    const got = await call("GET", `/v1/orders/${orderId}`, { token: shopper.token });
    polls++;
    expectOk(`GET /v1/orders/${orderId}`, got);
    status = got.body.order?.status as string;
  }
  const confirmed = performance.now();
  return { placeMs, confirmMs: confirmed - placeSent, totalMs: confirmed - started, polls };
}
