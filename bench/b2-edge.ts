import { execFile } from "node:child_process";
import { cpus } from "node:os";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GetProductRequestSchema, ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { createPostgres } from "@shop/platform/postgres";
import { createTestDatabase } from "@shop/platform/testing";
import pino from "pino";
import { seedDemoCatalog } from "../services/product/src/seed.js";
import { createDrizzleProductStore } from "../services/product/src/store.js";
import { cpuSeconds } from "./cpu-time.js";
import { writeGrpcRequestFile } from "./grpc-body.js";
import { runH2load } from "./h2load.js";
import { measureOpenLoopLatency, type OpenLoopLatency } from "./open-loop-latency.js";
import { type PairedLatency, pairedAddedLatency } from "./paired-latency.js";
import { type SpawnedServer, spawnServer } from "./spawn-server.js";
import { formatRatio, median } from "./stats.js";
import { type WakeupDelay, withWakeupProbes } from "./wakeup-delay.js";

const run = promisify(execFile);

/** The direct baseline's load: h2load's 8 connections × 16 streams, so 128 calls in flight. */
const directConnections = 8;
const directStreams = 16;
/**
 * The REST load: HTTP/1.1 keeps one request in flight per connection, so it opens as many
 * connections as the baseline has calls in flight, and both paths are compared at the same
 * concurrency. Why it matters: per-request cost falls as more requests arrive together (one read,
 * one write, one event-loop turn serve several), on both sides of every hop. Until 2026-12-03 the
 * REST load used 32 connections, a quarter of the baseline's concurrency; that shape is still
 * measured and reported, for context.
 */
const restConnections = directConnections * directStreams;
const fewerRestConnections = 32;

/**
 * Where each process runs. The product has CPU 0 to itself on every path, as it has in the direct
 * baseline; a proxy (edge or bare) runs on CPU 1 beside the load generator. Why: two busy processes
 * taking turns on one core each pay for the other's context switches and evicted caches, so a proxy
 * placed beside the product made the product itself dearer per request than in its baseline, a cost
 * of the pinning that a deployment (edge and service on their own cores or hosts) does not pay. The
 * proxy beside h2load pays that instead, which counts against the edge. Until 2026-12-04 the edge
 * shared CPU 0 with the product; that placement is still measured and reported, for context.
 */
const productCpu = 0;
const proxyCpu = 1;
const loadCpu = 1;

export interface B2Options {
  readonly rounds: number;
  readonly requestsPerRound: number;
  readonly productPort: number;
  readonly edgePort: number;
  /** Port of the bare forwarding proxy (bench/servers/bare-proxy.ts), the latency floor. */
  readonly floorPort: number;
  readonly latencySeconds: number;
  /** Alternating direct/edge latency runs: one pair is at the mercy of one GC pause in the product. */
  readonly latencyRounds: number;
}

/** One open-loop run, with how late the machine woke a task that only sleeps meanwhile (wakeup-delay.ts). */
interface MeasuredLatency {
  readonly latency: OpenLoopLatency;
  readonly wakeups: readonly WakeupDelay[];
  /** Share of all CPUs' time the machine was busy during the run. */
  readonly machineBusy: number;
}

interface LatencyRound {
  readonly direct: MeasuredLatency;
  readonly edge: MeasuredLatency;
  /** The edge's added time per request, from the edge's and the product's request logs. */
  readonly paired: PairedLatency;
  readonly floor: MeasuredLatency;
  /** The same for the bare forwarding proxy: what one more process hop costs here, the floor for any edge. */
  readonly floorPaired: PairedLatency;
}

/** The three paths of a latency round, in the order the report lists them. */
const latencyPaths = [
  { name: "gRPC direct", of: (round: LatencyRound) => round.direct },
  { name: "REST through the bare forwarding proxy (floor)", of: (round: LatencyRound) => round.floor },
  { name: "REST through the edge", of: (round: LatencyRound) => round.edge },
] as const;

/** One open-loop run through a proxy: client-side latency and the proxy's added time per request. */
interface ProxyRun {
  readonly run: MeasuredLatency;
  readonly paired: PairedLatency;
}

interface Throughput {
  readonly perSecond: number;
  readonly perCpuSecond: number;
  /** CPU microseconds per request of each measured process, in the order their pids were given. */
  readonly microsPerRequest: readonly number[];
}

/**
 * B2: `GET /v1/products/{id}` through the edge vs the same GetProduct called directly over gRPC.
 * The product service (real, on Postgres) runs alone on CPU 0; the edge and the load share CPU 1.
 * Efficiency is requests per CPU-second of (edge + product) vs (product alone), from /proc CPU
 * counters around each run; then the edge's added p99 at half of the edge's saturation rate, from an
 * open-loop generator. The edge runs as deployed: rate limiting in Redis on (with a bucket big
 * enough not to reject), request logs, metrics.
 */
export async function runB2(options: B2Options): Promise<string> {
  const database = await createTestDatabase({ prefix: "bench_b2" });
  const servers: SpawnedServer[] = [];
  try {
    const product = await spawnServer(
      "services/product/src/main.ts",
      { PORT: String(options.productPort), DATABASE_URL: database.url, LOG_LEVEL: "info" },
      productCpu,
      60_000,
      "serving",
    );
    servers.push(product);
    const productId = await seedOneProduct(database.url, options.productPort);
    const startEdgeProcess = () =>
      spawnServer(
        "edge/src/main.ts",
        {
          EDGE_PORT: String(options.edgePort),
          PRODUCT_URL: `http://127.0.0.1:${options.productPort}`,
          RATE_LIMIT_CAPACITY: "100000000",
          RATE_LIMIT_REFILL_PER_SECOND: "100000000",
          RATE_LIMIT_KEY_PREFIX: `bench:b2:${process.pid}:`,
          LOG_LEVEL: "info",
        },
        proxyCpu,
        60_000,
        "listening",
      );
    let edge = await startEdgeProcess();
    servers.push(edge);
    const floor = await spawnServer(
      "bench/servers/bare-proxy.ts",
      { PORT: String(options.floorPort), PRODUCT_PORT: String(options.productPort) },
      proxyCpu,
    );
    servers.push(floor);
    const restUrl = `http://127.0.0.1:${options.edgePort}/v1/products/${productId}`;
    const floorUrl = `http://127.0.0.1:${options.floorPort}/v1/products/${productId}`;
    for (const url of [restUrl, floorUrl]) {
      const probe = await fetch(url);
      if (probe.status !== 200) throw new Error(`${url} answered ${probe.status}: ${await probe.text()}`);
    }

    const bodyFile = await writeGrpcRequestFile("b2-get-product", GetProductRequestSchema, { id: productId });
    const grpcUrl = `http://127.0.0.1:${options.productPort}/shop.product.v1.ProductService/GetProduct`;
    const productPid = product.process.pid as number;

    const directWith = (clients: number, streamsPerClient: number) => () =>
      measure([productPid], () =>
        runH2load({
          url: grpcUrl,
          bodyFile,
          requests: options.requestsPerRound,
          clients,
          streamsPerClient,
          cpu: loadCpu,
        }),
      );
    /** h2load's usual gRPC load, 8 connections × 16 streams; one of the two direct loads (see `report`). */
    const direct = directWith(directConnections, directStreams);
    /**
     * The product under the load the edge gives it: one HTTP/2 connection carrying the REST load's
     * requests in flight. The other direct load; whichever costs the product less is the baseline.
     */
    const directLikeEdge = directWith(1, restConnections);
    /**
     * REST load through one proxy at saturation, counting the product's CPU and the proxy's. The bare
     * proxy is measured this way too, so the edge's own cost can be told from that of any extra hop.
     */
    const saturateProxy = (proxy: () => SpawnedServer, url: string, clients: number) => () =>
      measure([productPid, proxy().process.pid as number], () =>
        runH2load({
          url,
          protocol: "http1",
          requests: options.requestsPerRound,
          clients,
          streamsPerClient: 1,
          cpu: loadCpu,
        }),
      );
    const viaEdge = saturateProxy(() => edge, restUrl, restConnections);
    const viaFloor = saturateProxy(() => floor, floorUrl, restConnections);
    const viaEdgeFewerConnections = saturateProxy(() => edge, restUrl, fewerRestConnections);
    /** The edge moved onto the product's core for one run: the placement used until 2026-12-04. */
    const viaEdgeBesideProduct = async () => {
      const edgePid = edge.process.pid as number;
      await pinProcesses([edgePid], String(productCpu));
      try {
        return await viaEdge();
      } finally {
        await pinProcesses([edgePid], String(proxyCpu));
      }
    };
    // Warm-up
    await direct();
    await directLikeEdge();
    await viaEdge();
    await viaFloor();
    await viaEdgeFewerConnections();
    await viaEdgeBesideProduct();
    const runs: CollectedRuns = {
      directRuns: [],
      directLikeEdgeRuns: [],
      edgeRuns: [],
      floorRuns: [],
      edgeFewerConnectionsRuns: [],
      edgeBesideProductRuns: [],
    };
    for (let round = 1; round <= options.rounds; round++) {
      if (round > 1) {
        // A fresh edge process each round, warmed up first: two B2 runs of the same code measured
        // 123 and 144 µs per request in their one edge process, so one process's figure is not the edge's.
        await edge.stop();
        servers.splice(servers.indexOf(edge), 1);
        edge = await startEdgeProcess();
        servers.push(edge);
        await viaEdge();
      }
      runs.directRuns.push(await direct());
      runs.directLikeEdgeRuns.push(await directLikeEdge());
      runs.edgeRuns.push(await viaEdge());
      runs.floorRuns.push(await viaFloor());
      runs.edgeFewerConnectionsRuns.push(await viaEdgeFewerConnections());
      runs.edgeBesideProductRuns.push(await viaEdgeBesideProduct());
      const perCpuSecond = (of: readonly Throughput[]) => Math.round(of.at(-1)?.perCpuSecond ?? 0);
      console.log(
        `B2 round ${round} (req/CPU-s): direct ${perCpuSecond(runs.directRuns)} (8×16), ${perCpuSecond(runs.directLikeEdgeRuns)} (1×128); edge ${perCpuSecond(runs.edgeRuns)}, floor ${perCpuSecond(runs.floorRuns)}, edge with ${fewerRestConnections} connections ${perCpuSecond(runs.edgeFewerConnectionsRuns)}, edge beside the product ${perCpuSecond(runs.edgeBesideProductRuns)}`,
      );
    }
    const edgeSaturation = median(runs.edgeRuns.map((r) => r.perSecond));
    const halfRate = Math.max(50, Math.round(edgeSaturation / 2));
    // Latency is measured with every process free to run on either core, as on a host. Kept on one
    // core, the two Node servers starved the Postgres backends the scheduler woke next to them
    // (`perf sched` showed 10–35 ms run-queue waits), which is an artefact of the pinning, not
    // a cost of the edge.
    await pinProcesses([productPid, edge.process.pid as number, floor.process.pid as number], allCpus);
    const latency = async (protocol: "grpc" | "http1", url: string): Promise<MeasuredLatency> => {
      const { result, probes, machineBusy } = await withWakeupProbes(() =>
        measureOpenLoopLatency({
          url,
          protocol,
          ...(protocol === "grpc" ? { bodyFile } : {}),
          rate: halfRate,
          seconds: options.latencySeconds,
          cpus: allCpus,
        }),
      );
      return { latency: result, wakeups: probes, machineBusy };
    };
    /** Client-side latency through `proxy`, and its added time paired with the product's log. */
    const viaProxy = async (proxy: SpawnedServer, url: string): Promise<ProxyRun> => {
      const proxyOutput = proxy.captureOutput();
      const productOutput = product.captureOutput();
      const run = await latency("http1", url);
      return { run, paired: pairedAddedLatency(proxyOutput(), productOutput()) };
    };
    const latencyRounds: LatencyRound[] = [];
    for (let round = 1; round <= options.latencyRounds; round++) {
      const direct = await latency("grpc", grpcUrl);
      // The floor and the edge take turns at going first, so neither always follows the direct run.
      const order = round % 2 === 1 ? (["floor", "edge"] as const) : (["edge", "floor"] as const);
      const proxies = { floor: { server: floor, url: floorUrl }, edge: { server: edge, url: restUrl } };
      const measured: Partial<Record<"floor" | "edge", ProxyRun>> = {};
      for (const name of order) measured[name] = await viaProxy(proxies[name].server, proxies[name].url);
      const floorRun = measured.floor as ProxyRun;
      const edgeRun = measured.edge as ProxyRun;
      latencyRounds.push({
        direct,
        edge: edgeRun.run,
        paired: edgeRun.paired,
        floor: floorRun.run,
        floorPaired: floorRun.paired,
      });
      console.log(
        `B2 latency round ${round}: p99 direct ${direct.latency.p99.toFixed(2)} ms, edge ${edgeRun.run.latency.p99.toFixed(2)} ms, floor ${floorRun.run.latency.p99.toFixed(2)} ms; added per request p99: edge ${edgeRun.paired.p99.toFixed(2)} ms, floor ${floorRun.paired.p99.toFixed(2)} ms; sleeps ≥ 2 ms late during the edge run: ${formatPercent(lateShare(edgeRun.run.wakeups, "shareLate2ms"))}`,
      );
    }
    return report(options, runs, halfRate, latencyRounds);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await database.drop();
  }
}

/** Seeds the demo catalog straight into the product database and returns one product's id. */
async function seedOneProduct(databaseUrl: string, productPort: number): Promise<string> {
  const pg = createPostgres({ url: databaseUrl, logger: pino({ level: "silent" }), max: 1 });
  try {
    await seedDemoCatalog(createDrizzleProductStore(pg.db));
  } finally {
    await pg.close();
  }
  const client = createClient(
    ProductService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${productPort}` }),
  );
  const { products } = await client.listProducts({ pageSize: 1 });
  const id = products[0]?.id;
  if (!id) throw new Error("the product service lists no products after seeding");
  return id;
}

async function measure(
  pids: number[],
  load: () => Promise<{ requestsPerSecond: number; succeeded: number; failed: number }>,
): Promise<Throughput> {
  const before = pids.map(cpuSeconds);
  const result = await load();
  const used = pids.map((pid, i) => cpuSeconds(pid) - (before[i] as number));
  if (result.failed > 0) throw new Error(`${result.failed} requests failed`);
  const total = used.reduce((sum, seconds) => sum + seconds, 0);
  return {
    perSecond: result.requestsPerSecond,
    perCpuSecond: result.succeeded / total,
    microsPerRequest: used.map((seconds) => (seconds / result.succeeded) * 1e6),
  };
}

const allCpus = `0-${cpus().length - 1}`;

/** Moves running processes (every thread) onto `cpuList` (taskset's form: "0", "0-1"). */
async function pinProcesses(pids: number[], cpuList: string): Promise<void> {
  for (const pid of pids) await run("taskset", ["-a", "-p", "-c", cpuList, String(pid)]);
}

interface SaturationRuns {
  readonly directRuns: readonly Throughput[];
  /** The product alone under the edge's load shape: one connection, as many streams as REST connections. */
  readonly directLikeEdgeRuns: readonly Throughput[];
  /** Pids measured: product, edge. */
  readonly edgeRuns: readonly Throughput[];
  /** Pids measured: product, bare proxy. */
  readonly floorRuns: readonly Throughput[];
  /** Pids measured: product, edge; the REST load with fewer connections, for context. */
  readonly edgeFewerConnectionsRuns: readonly Throughput[];
  /** Pids measured: product, edge; the edge on the product's core, the placement used until 2026-12-04. */
  readonly edgeBesideProductRuns: readonly Throughput[];
}

/** The saturation runs as a B2 run collects them, round by round. */
type CollectedRuns = { -readonly [Path in keyof SaturationRuns]: Throughput[] };

/** The share of all CPUs' 1 ms sleeps that ended at least that late (probes weighted by their sleeps). */
function lateShare(probes: readonly WakeupDelay[], field: "shareLate1ms" | "shareLate2ms"): number {
  const wakeups = probes.reduce((sum, probe) => sum + probe.wakeups, 0);
  const late = probes.reduce((sum, probe) => sum + probe[field] * probe.wakeups, 0);
  return wakeups === 0 ? 0 : late / wakeups;
}

/**
 * What the probes suggest for any proxy's added p99, as an estimate beside the measured floor. Why
 * only an estimate: late wake-ups come in bursts (not independently), the probes are pinned while the
 * servers are not, and a busy event loop serves several requests per wake-up.
 */
function machineFloorSentence(lateWakeupShare: number, requestShare: number, floorP99: number): string {
  const estimate = `During the edge's runs ${formatPercent(lateWakeupShare)} of the probes' wake-ups were at least 2 ms late (median of the rounds). A request
through a proxy usually wakes two processes inside the paired window (the product when the request arrives, the proxy
when the reply does); if both met the probes' odds independently, ${formatPercent(requestShare)} of requests would wait at least 2 ms
there, whatever the proxy's code. That is an estimate; the measured floor, the bare proxy's added p99, is ${floorP99.toFixed(2)} ms.`;
  return requestShare > 0.01 && floorP99 > 2
    ? `${estimate} Both point the same way: at this load on this machine, an added p99 of 2 ms or less is out of reach for any proxy.`
    : estimate;
}

function formatPercent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)} %`;
}

function wakeupRow(round: number, path: string, run: MeasuredLatency): string {
  const worst = (field: "p99LateMs" | "maxLateMs") =>
    Math.max(0, ...run.wakeups.map((probe) => probe[field]));
  return `| ${round} | ${path} | ${formatPercent(run.machineBusy)} | ${formatPercent(lateShare(run.wakeups, "shareLate1ms"))} | ${formatPercent(lateShare(run.wakeups, "shareLate2ms"))} | ${worst("p99LateMs").toFixed(2)} | ${worst("maxLateMs").toFixed(2)} |`;
}

/** Median CPU µs per request of the process at `index` over `runs`, rounded. */
function medianMicros(runs: readonly Throughput[], index: number): number {
  return Math.round(median(runs.map((r) => r.microsPerRequest[index] as number)));
}

function report(
  options: B2Options,
  {
    directRuns,
    directLikeEdgeRuns,
    edgeRuns,
    floorRuns,
    edgeFewerConnectionsRuns,
    edgeBesideProductRuns,
  }: SaturationRuns,
  halfRate: number,
  latencyRounds: LatencyRound[],
): string {
  const floorEfficiency = median(floorRuns.map((r) => r.perCpuSecond));
  const directEfficiency = median(directRuns.map((r) => r.perCpuSecond));
  const edgeEfficiency = median(edgeRuns.map((r) => r.perCpuSecond));
  const likeEdgeEfficiency = median(directLikeEdgeRuns.map((r) => r.perCpuSecond));
  // The baseline is the product at its most efficient direct load in this run, so the edge is never
  // judged against a load that happened to cost the product more (which of the two wins varies).
  const baselineEfficiency = Math.max(directEfficiency, likeEdgeEfficiency);
  const baselineName =
    baselineEfficiency === directEfficiency
      ? `${directConnections} connections × ${directStreams} streams`
      : `1 connection × ${restConnections} streams`;
  const ratio = edgeEfficiency / baselineEfficiency;
  const roundRatios = edgeRuns.map(
    (r, i) =>
      r.perCpuSecond /
      Math.max(
        (directRuns[i] as Throughput).perCpuSecond,
        (directLikeEdgeRuns[i] as Throughput).perCpuSecond,
      ),
  );
  const fewerConnectionsEfficiency = median(edgeFewerConnectionsRuns.map((r) => r.perCpuSecond));
  const besideProductEfficiency = median(edgeBesideProductRuns.map((r) => r.perCpuSecond));
  const fmt = (v: number) => v.toFixed(2);
  const latencyRow = (round: number, path: string, l: OpenLoopLatency) =>
    `| ${round} | ${path} | ${Math.round(l.achievedRate)} | ${l.measured} | ${fmt(l.p50)} | ${fmt(l.p99)} | ${l.failures} |`;
  /** One table row per round and path, `row` choosing what the row shows of that path's run. */
  const perPathRows = (row: (round: number, path: string, run: MeasuredLatency) => string) =>
    latencyRounds.flatMap((r, i) => latencyPaths.map((path) => row(i + 1, path.name, path.of(r)))).join("\n");
  const latencyRows = perPathRows((round, path, run) => latencyRow(round, path, run.latency));
  const addedP99s = latencyRounds.map((r) => r.edge.latency.p99 - r.direct.latency.p99);
  const pairedRows = latencyRounds
    .map(
      (r, i) =>
        `| ${i + 1} | ${r.floorPaired.pairs} | ${fmt(r.floorPaired.p50)} | ${fmt(r.floorPaired.p99)} | ${r.paired.pairs} | ${fmt(r.paired.p50)} | ${fmt(r.paired.p99)} |`,
    )
    .join("\n");
  const wakeupRows = perPathRows(wakeupRow);
  const edgeLateShare = median(latencyRounds.map((r) => lateShare(r.edge.wakeups, "shareLate2ms")));
  const requestsMeetingLateWakeup = 1 - (1 - edgeLateShare) ** 2;
  const pairedP99 = median(latencyRounds.map((r) => r.paired.p99));
  const floorP99 = median(latencyRounds.map((r) => r.floorPaired.p99));
  const pairedP50 = median(latencyRounds.map((r) => r.paired.p50));
  const floorP50 = median(latencyRounds.map((r) => r.floorPaired.p50));
  return `## B2 — REST through the edge vs gRPC direct

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}.
The product service (Postgres) runs alone on CPU 0 on every path, as in its direct baseline; the edge (or the bare proxy)
runs on CPU 1 beside the load generator, which counts against it. Until 2026-12-04 the edge shared CPU 0 with the product:
two busy processes taking turns on one core each pay for the other's switches and evicted caches, so the product cost
more per request beside the edge than in its baseline; that placement is still measured (last rows). Direct: h2load gRPC \`GetProduct\`
under two loads with ${restConnections} calls in flight, ${directConnections} connections × ${directStreams} streams and 1 connection × ${restConnections} streams
(the shape the edge gives the product); the one that costs the product less is the baseline.
Edge: h2load HTTP/1.1 \`GET /v1/products/{id}\` on ${restConnections} keep-alive connections, one request in flight on each, so both paths
run at the same concurrency (also, for context, on ${fewerRestConnections} connections, the load this benchmark used until 2026-12-03); the edge
as deployed (Redis token bucket on, with a bucket too large to reject; request logs; metrics).
${options.requestsPerRound} requests per run, ${options.rounds} alternating rounds after a warm-up, each round with a fresh edge process (warmed up
by one run first: two runs of the same code, each with one edge process, measured it at 123 and 144 µs per request); medians.
CPU-seconds are user + system time of the listed processes from /proc (Redis's own CPU is not counted).

| path | median req/s at saturation | median req per CPU-second |
|---|---:|---:|
| gRPC direct (product alone), ${directConnections} connections × ${directStreams} streams | ${Math.round(median(directRuns.map((r) => r.perSecond)))} | ${Math.round(directEfficiency)} |
| gRPC direct (product alone), 1 connection × ${restConnections} streams (the edge's load shape) | ${Math.round(median(directLikeEdgeRuns.map((r) => r.perSecond)))} | ${Math.round(likeEdgeEfficiency)} |
| REST through the edge (edge + product) | ${Math.round(median(edgeRuns.map((r) => r.perSecond)))} | ${Math.round(edgeEfficiency)} |
| REST through the bare forwarding proxy (proxy + product), for reference | ${Math.round(median(floorRuns.map((r) => r.perSecond)))} | ${Math.round(floorEfficiency)} |
| REST through the edge on ${fewerRestConnections} connections, for context | ${Math.round(median(edgeFewerConnectionsRuns.map((r) => r.perSecond)))} | ${Math.round(fewerConnectionsEfficiency)} |
| REST through the edge sharing the product's CPU 0 (the placement until 2026-12-04), for context | ${Math.round(median(edgeBesideProductRuns.map((r) => r.perSecond)))} | ${Math.round(besideProductEfficiency)} |

**B2 efficiency ratio (edge + product) / (product alone): ${ratio.toFixed(3)}×** — target ≥ 0.50×: ${ratio >= 0.5 ? "met" : "not met"}.
The baseline is the product at the more efficient of its two direct loads in this run: ${baselineName}.
Per round (each against that round's better direct load): ${roundRatios.map((r) => r.toFixed(3)).join(", ")}; median ${median(roundRatios).toFixed(3)}.
In CPU per request: ${Math.round(1e6 / baselineEfficiency)} µs for the product alone, ${Math.round(1e6 / edgeEfficiency)} µs through the edge, so
the REST path costs ${Math.round(1e6 / edgeEfficiency - 1e6 / baselineEfficiency)} µs more (the edge's process, plus what the product costs more per request behind a
proxy, as the table below splits it); the ratio reaches 0.5× when that extra is no more than the product's own cost.
Against each direct load alone: ${(edgeEfficiency / directEfficiency).toFixed(3)}× (${directConnections} × ${directStreams}), ${(edgeEfficiency / likeEdgeEfficiency).toFixed(3)}× (1 × ${restConnections}).
With ${fewerRestConnections} REST connections (a quarter of the baseline's concurrency) the ratio is ${(fewerConnectionsEfficiency / baselineEfficiency).toFixed(3)}×;
with the edge on the product's core (the placement until 2026-12-04) it is ${(besideProductEfficiency / baselineEfficiency).toFixed(3)}×.

CPU per request by process (medians of the rounds), with the bare forwarding proxy described below in the edge's place:

| path | product µs | proxy µs | ratio to product alone |
|---|---:|---:|---:|
| gRPC direct, ${directConnections} connections × ${directStreams} streams | ${medianMicros(directRuns, 0)} | — | ${formatRatio(directEfficiency / baselineEfficiency)} |
| gRPC direct, 1 connection × ${restConnections} streams | ${medianMicros(directLikeEdgeRuns, 0)} | — | ${formatRatio(likeEdgeEfficiency / baselineEfficiency)} |
| through the edge | ${medianMicros(edgeRuns, 0)} | ${medianMicros(edgeRuns, 1)} | ${formatRatio(ratio)} |
| through the bare proxy | ${medianMicros(floorRuns, 0)} | ${medianMicros(floorRuns, 1)} | ${formatRatio(floorEfficiency / baselineEfficiency)} |
| through the edge, ${fewerRestConnections} REST connections | ${medianMicros(edgeFewerConnectionsRuns, 0)} | ${medianMicros(edgeFewerConnectionsRuns, 1)} | ${formatRatio(fewerConnectionsEfficiency / baselineEfficiency)} |
| through the edge on the product's CPU 0 | ${medianMicros(edgeBesideProductRuns, 0)} | ${medianMicros(edgeBesideProductRuns, 1)} | ${formatRatio(besideProductEfficiency / baselineEfficiency)} |

Latency at half of the edge's saturation (${halfRate} req/s offered, ${options.latencySeconds} s measured each, ${options.latencyRounds} rounds), from h2load in open
loop (${Math.max(1, Math.round(halfRate / 10))} clients × 10 req/s on staggered timers; percentiles from its per-request log), with the
servers and h2load free to run on both cores (pinned to one core, the two servers starved the Postgres backends woken beside
them: \`perf sched\` showed 10–35 ms run-queue waits). Each round measures the product directly, then, in turns, the
edge and a **bare forwarding proxy** (\`bench/servers/bare-proxy.ts\`: node:http in, one HTTP/2 connection out
through the platform's h2c client, GetProduct's reply as proto3 JSON; no routing, auth, rate limit, tracing or metrics).
The bare proxy is the floor: what one more process hop costs on this machine, which no edge can go below.

| round | path | achieved req/s | requests measured | p50 ms | p99 ms | failures |
|---|---|---:|---:|---:|---:|---:|
${latencyRows}

The added time, paired per request: for every request through a proxy, the proxy's logged duration minus the product
handler's logged duration for the same trace id (both request logs are on, as deployed), so the product's own tail
cancels out. What remains is the proxy's parsing, queueing and pauses, both hops, and the product's time outside its
handler (reading and answering the HTTP/2 stream):

| round | bare proxy: pairs | added p50 ms | added p99 ms | edge: pairs | added p50 ms | added p99 ms |
|---|---:|---:|---:|---:|---:|---:|
${pairedRows}

**Edge's added p99 (paired per request, median of ${latencyRounds.length} rounds): ${fmt(pairedP99)} ms** — target ≤ 2 ms: ${pairedP99 <= 2 ? "met" : "not met"};
the bare proxy's, measured in the same rounds: ${fmt(floorP99)} ms (edge / floor ${formatRatio(pairedP99 / floorP99)}).
Added p50: edge ${fmt(pairedP50)} ms, bare proxy ${fmt(floorP50)} ms.
(Difference of client-side p99s, edge − direct, median of the rounds: ${fmt(median(addedP99s))} ms; the direct path's
own p99 moves by several ms from run to run, so this difference is noisy and can even come out negative.)

What the machine itself adds: during each run a probe on each CPU (\`bench/probes/wakeup-delay.c\`) did nothing but
sleep 1 ms at a time and measured how late each sleep ended. Such a task needs the CPU for microseconds, so its lateness is
the wait this machine gives a process it wakes (shares over all CPUs' sleeps; lateness p99 and max of the worst CPU):

| round | path | machine busy | sleeps ≥ 1 ms late | sleeps ≥ 2 ms late | lateness p99 ms | lateness max ms |
|---|---|---:|---:|---:|---:|---:|
${wakeupRows}

${machineFloorSentence(edgeLateShare, requestsMeetingLateWakeup, floorP99)}

Reproduce: \`npm run bench -- b2\` (needs \`h2load\`, \`taskset\` and \`cc\`, Postgres and Redis running).`;
}
