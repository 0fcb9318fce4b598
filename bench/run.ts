/**
 * `npm run bench [-- b1 …]`: runs the benchmarks (all by default) and writes each one's figures
 * into bench/RESULTS.md. Benchmarks report ratios against a baseline measured in the same run.
 */
import { runB1 } from "./b1-unary-server.js";
import { runB2 } from "./b2-edge.js";
import { runB6 } from "./b6-outbox.js";
import { runB7 } from "./b7-checkout.js";
import { runLogLines } from "./log-lines.js";
import { writeResultsSection } from "./results-file.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const benchmarks: Record<string, () => Promise<string>> = {
  b1: () => runB1({ rounds, requestsPerRound: 40_000, basePort: 19_100 }),
  b2: () =>
    runB2({
      rounds,
      requestsPerRound: 20_000,
      productPort: 19_200,
      edgePort: 19_201,
      floorPort: 19_202,
      latencySeconds: 10,
      latencyRounds: 3,
    }),
  b6: () => runB6({ writesPerMode: 2000, natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222" }),
  b7: () =>
    runB7({
      levels: [1, 2, 4, 8, 16, 32, 64],
      levelSeconds: Number(process.env.B7_LEVEL_SECONDS ?? 15),
      warmupSeconds: 5,
      idleSeconds: 5,
      openSeconds: 20,
      shoppers: 64,
      pollIntervalMs: 20,
      confirmTimeoutMs: 30_000,
      logLevel: process.env.B7_LOG_LEVEL ?? "info",
      postgresAdminUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    }),
  log: () => runLogLines({ rounds, lines: 200_000, linesPerTurn: 16 }),
};

const requested = process.argv.slice(2).map((name) => name.toLowerCase());
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(benchmarks).join(", ")}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  console.log(`running ${name}…`);
  const section = await (benchmarks[name] as () => Promise<string>)();
  await writeResultsSection(name.toUpperCase(), section);
  console.log(section);
}
