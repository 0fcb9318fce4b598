import { cpus, loadavg } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { type CpuMeter, cpuUsedBetween, createCpuMeter } from "./b7-cpu.js";
import {
  type ClosedLoopResult,
  type LoadContext,
  type OpenLoopResult,
  runClosedLoop,
  runOpenLoop,
} from "./b7-load.js";
import { createRestCall, type RestCall } from "./b7-rest.js";
import { type CheckoutTiming, createShopper, type Shopper, stockProducts } from "./b7-shopper.js";
import { startB7System } from "./b7-system.js";
import { percentile } from "./stats.js";

export interface B7Options {
  /** Virtual users of each closed-loop level, in order. */
  readonly levels: readonly number[];
  readonly levelSeconds: number;
  readonly warmupSeconds: number;
  /** The system's CPU is metered this long with no load, before the warm-up. */
  readonly idleSeconds: number;
  /** Duration of the open loop at half of saturation. */
  readonly openSeconds: number;
  /** Accounts registered up front; at least the largest level. */
  readonly shoppers: number;
  readonly pollIntervalMs: number;
  readonly confirmTimeoutMs: number;
  /** LOG_LEVEL of every service and the edge. */
  readonly logLevel: string;
  readonly postgresAdminUrl: string;
}

/** Products the checkouts alternate over, and their stock (far more than a run can sell). */
const productCount = 2;
const stockUnits = 1_000_000;
/** A level must beat the best so far by this factor to count as progress. */
const progressFactor = 1.05;

/** CPU seconds per component over one load phase, and that phase's wall-clock length. */
interface Metered<T> {
  readonly result: T;
  readonly cpu: ReadonlyMap<string, number>;
  readonly wallSeconds: number;
}

async function metered<T>(meter: CpuMeter, load: () => Promise<T>): Promise<Metered<T>> {
  const before = await meter.snapshot();
  const started = performance.now();
  const result = await load();
  const wallSeconds = (performance.now() - started) / 1000;
  return { result, cpu: cpuUsedBetween(before, await meter.snapshot()), wallSeconds };
}

/**
 * B7: checkout throughput through the REST edge at saturation, and checkout latency at half of it.
 * The whole system runs as real processes via `npm start` (isolated: shifted ports, own databases,
 * Redis keys and nats-server); the load generator runs in this process. A checkout is cart add →
 * POST /v1/orders → polling GET /v1/orders/{id} until CONFIRMED; any failure fails the run.
 * Closed-loop levels rise until two in a row fail to beat the best by 5 % (saturation reached).
 */
export async function runB7(options: B7Options): Promise<string> {
  const loadBefore = loadavg()[0] as number;
  const began = performance.now();
  const system = await startB7System({
    postgresAdminUrl: options.postgresAdminUrl,
    env: {
      // A bucket no checkout loop can drain: B7 measures the checkout path, not the limiter's refusals.
      RATE_LIMIT_CAPACITY: "1000000000",
      RATE_LIMIT_REFILL_PER_SECOND: "1000000000",
      LOG_LEVEL: options.logLevel,
    },
  });
  console.log(`B7 system up in ${((performance.now() - began) / 1000).toFixed(1)} s at ${system.edgeUrl}`);
  const meter = createCpuMeter({
    rootPid: system.rootPid,
    postgresAdminUrl: options.postgresAdminUrl,
    databasePrefix: system.databasePrefix,
  });
  try {
    const call = createRestCall(system.edgeUrl);
    const productIds = await stockProducts(call, system.admin, productCount, stockUnits);
    const shoppers = await createShoppers(call, Math.max(options.shoppers, ...options.levels));
    const context: LoadContext = {
      call,
      shoppers,
      productIds,
      checkout: { pollIntervalMs: options.pollIntervalMs, confirmTimeoutMs: options.confirmTimeoutMs },
    };
    const idle = await metered(meter, () => delay(options.idleSeconds * 1000));
    console.log(`B7 warm-up: ${options.warmupSeconds} s at 2 users`);
    await runClosedLoop(context, 2, options.warmupSeconds);
    const levels: Metered<ClosedLoopResult>[] = [];
    let best: Metered<ClosedLoopResult> | undefined;
    let stalled = 0;
    for (const users of options.levels) {
      const level = await metered(meter, () => runClosedLoop(context, users, options.levelSeconds));
      levels.push(level);
      console.log(`B7 closed loop, ${users} users: ${level.result.perSecond.toFixed(1)} checkouts/s`);
      if (!best || level.result.perSecond > best.result.perSecond * progressFactor) stalled = 0;
      else stalled++;
      if (!best || level.result.perSecond > best.result.perSecond) best = level;
      if (stalled === 2) break;
    }
    const saturation = best as Metered<ClosedLoopResult>;
    const halfRate = saturation.result.perSecond / 2;
    console.log(`B7 open loop at ${halfRate.toFixed(1)} checkouts/s for ${options.openSeconds} s`);
    const open = await metered(meter, () => runOpenLoop(context, halfRate, options.openSeconds));
    return report({ options, idle, levels, saturation, open, shoppers: shoppers.length, loadBefore });
  } catch (error) {
    console.error(`B7 failed; the system's last log lines:\n${system.logTail()}`);
    throw error;
  } finally {
    await meter.close();
    await system.stop();
    console.log(`B7 took ${((performance.now() - began) / 1000).toFixed(0)} s in all`);
  }
}

/** Registers and logs in shoppers a few at a time (password hashing is deliberately slow). */
async function createShoppers(call: RestCall, count: number): Promise<Shopper[]> {
  const shoppers: Shopper[] = [];
  const batch = 4;
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    shoppers.push(
      ...(await Promise.all(Array.from({ length: size }, (_, j) => createShopper(call, `u${i + j}`)))),
    );
  }
  return shoppers;
}

const ms = (value: number) => value.toFixed(1);
const confirmTimes = (timings: readonly CheckoutTiming[]) => timings.map((t) => t.confirmMs);
const meanPolls = (timings: readonly CheckoutTiming[]) =>
  (timings.reduce((sum, t) => sum + t.polls, 0) / Math.max(1, timings.length)).toFixed(1);

function percentiles(values: readonly number[]): string {
  return `${ms(percentile(values, 50))} | ${ms(percentile(values, 90))} | ${ms(percentile(values, 99))}`;
}

/** CPU seconds of the system under test (everything metered but the generator). */
function systemCpu(cpu: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const [component, seconds] of cpu) if (component !== "generator") total += seconds;
  return total;
}

function cpuColumns(phase: Metered<unknown>, checkouts: number): string {
  const perCheckout = (seconds: number) => ms((seconds * 1000) / checkouts);
  return `${perCheckout(systemCpu(phase.cpu))} | ${perCheckout(phase.cpu.get("generator") ?? 0)} | ${(systemCpu(phase.cpu) / phase.wallSeconds).toFixed(2)}`;
}

function report(input: {
  options: B7Options;
  idle: Metered<unknown>;
  levels: readonly Metered<ClosedLoopResult>[];
  saturation: Metered<ClosedLoopResult>;
  open: Metered<OpenLoopResult>;
  shoppers: number;
  loadBefore: number;
}): string {
  const { options, levels, saturation, open } = input;
  const levelRows = levels
    .map(({ result, ...phase }) => {
      const confirm = confirmTimes(result.timings);
      return `| ${result.users} | ${result.confirmed} | ${result.perSecond.toFixed(1)} | ${ms(percentile(confirm, 50))} | ${ms(percentile(confirm, 99))} | ${result.rejected.count} | ${meanPolls(result.timings)} | ${cpuColumns({ result, ...phase }, result.completed)} |`;
    })
    .join("\n");
  const breakdown = [...saturation.cpu]
    .filter(
      ([component, seconds]) => component !== "generator" && seconds >= 0.0005 * saturation.result.completed,
    )
    .sort((a, b) => b[1] - a[1])
    .map(([component, seconds]) => `${component} ${ms((seconds * 1000) / saturation.result.completed)}`)
    .join(", ");
  const openTimings = open.result.timings;
  const rejections = [...levels.map((level) => level.result.rejected), open.result.rejected];
  const firstRejection = rejections.find((r) => r.first)?.first;
  const idleCores = (seconds: number) => (seconds / input.idle.wallSeconds).toFixed(2);
  const idleBreakdown = [...input.idle.cpu]
    .filter(([component, seconds]) => component !== "generator" && seconds / input.idle.wallSeconds >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([component, seconds]) => `${component} ${idleCores(seconds)}`)
    .join(", ");
  const cpu = cpus();
  return `## B7 — checkout throughput through the REST edge

Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, Node ${process.version}.
The whole system runs as real processes started by \`npm start\` (seven services, the edge, the order
service on its Postgres store, a private \`nats-server -js\`; Postgres and Redis as installed), isolated on shifted
ports with its own databases and Redis keys. Every service and the edge log at \`LOG_LEVEL=${options.logLevel}\`${options.logLevel === "info" ? " (as deployed)" : " (quieter than deployed: info logs off)"};
the edge's rate limit is on, with a bucket too large to refuse. The load generator runs in the benchmark process
(keep-alive HTTP/1.1). **All services, Postgres, NATS, Redis and the generator share the machine's ${cpu.length} cores,
so these rates are a floor for this hardware**; the machine was not idle either (1-minute load average
${input.loadBefore.toFixed(1)} when B7 began), which is why CPU per checkout is shown beside each rate.

One checkout = \`POST /v1/cart/items\` (1 unit, alternating over ${productCount} demo products stocked by the admin
through \`PUT /v1/inventory/{id}\`) → \`POST /v1/orders\` with an \`Idempotency-Key\` and \`tok_visa\` → \`GET
/v1/orders/{id}\` every ${options.pollIntervalMs} ms until \`ORDER_STATUS_CONFIRMED\`. A CANCELLED order or
${options.confirmTimeoutMs / 1000} s without confirmation fails the run (none did); a checkout whose step the edge answers with an HTTP
error (e.g. 503 from an overloaded upstream) is counted as rejected, left out of every rate and percentile, and its
virtual user pauses 100 ms. Each virtual user is its own
registered account. "CONFIRMED" times include up to one poll interval of observation delay, and the polls are
part of the load (each is a full authenticated REST → gRPC GetOrder round trip), as they would be for real clients.

With no load at all the system uses ${idleCores(systemCpu(input.idle.cpu))} cores (${idleBreakdown ? `${idleBreakdown}; ` : ""}metered for ${options.idleSeconds} s).

Saturation: closed loop, ${options.levelSeconds} s per level after a ${options.warmupSeconds} s warm-up, levels rising until two in a
row fail to beat the best by 5 %; only checkouts confirmed inside the window count. CPU is user + system time from
/proc of every process \`npm start\` runs plus the Postgres backends of the run's databases (Postgres's shared
workers and Redis not counted), per confirmed checkout; "cores busy" is that CPU over wall time.

| virtual users | checkouts confirmed | checkouts/s | p50 ms order → CONFIRMED | p99 ms order → CONFIRMED | rejected | polls / checkout | system CPU ms / checkout | generator CPU ms / checkout | cores busy (system) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${levelRows}

${firstRejection ? `First rejection: ${firstRejection.replaceAll("|", "\\|")}\n\n` : ""}**B7 saturation: ${saturation.result.perSecond.toFixed(1)} checkouts/s** (at ${saturation.result.users} virtual users).
CPU ms per checkout by component at that level: ${breakdown}.

At half of saturation: open loop, ${open.result.targetRate.toFixed(1)} checkouts/s scheduled for ${options.openSeconds} s
(${open.result.started} checkouts, ${open.result.achievedRate.toFixed(1)}/s achieved; ${open.result.waitedForShopper} starts of ${open.result.started} had to wait for a free
shopper account out of ${input.shoppers}; ${open.result.rejected.count} rejected). System CPU ${cpuColumns(open, open.result.started).split(" | ")[0]} ms per checkout; ${meanPolls(openTimings)} polls per checkout.

| measured span | p50 ms | p90 ms | p99 ms |
|---|---:|---:|---:|
| \`POST /v1/orders\` alone (answer: PENDING) | ${percentiles(openTimings.map((t) => t.placeMs))} |
| \`POST /v1/orders\` sent → CONFIRMED observed | ${percentiles(confirmTimes(openTimings))} |
| whole checkout (cart add → CONFIRMED observed) | ${percentiles(openTimings.map((t) => t.totalMs))} |

**B7 checkout p99 at half of saturation (POST /v1/orders → CONFIRMED): ${ms(percentile(confirmTimes(openTimings), 99))} ms.**

Reproduce: \`npm run bench -- b7\` (about 3 minutes; Postgres and Redis running, \`nats-server\` on PATH).`;
}
