/**
 * CPU accounting for B7: the CPU time the system under test spends per checkout, by component. Why:
 * the machine is shared (the generator, and other people's jobs), so checkouts per second move with
 * whatever else runs; CPU-milliseconds per checkout does not, and it says where the cost is.
 */
import { readdirSync, readFileSync } from "node:fs";
import postgres from "postgres";
import { cpuSeconds } from "./cpu-time.js";

/** CPU seconds used so far, per process id, with the component each process belongs to. */
export type CpuSnapshot = ReadonlyMap<number, { readonly component: string; readonly seconds: number }>;

export interface CpuMeter {
  snapshot(): Promise<CpuSnapshot>;
  close(): Promise<void>;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined; // the process is gone
  }
}

/** Every live descendant of `rootPid`, and the root itself, from the parent ids in /proc. */
function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(Number(entry), "stat");
    if (!stat) continue;
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** `services/order/src/main.ts` → order, `edge/src/main.ts` → edge, the orchestrator, nats-server. */
function componentOf(pid: number): string {
  const argv = (readProc(pid, "cmdline") ?? "").split("\0");
  const script = argv.find((arg) => arg.endsWith(".ts"));
  const service = script?.match(/(?:services\/)?([a-z-]+)\/src\/main\.ts$/);
  if (service?.[1]) return service[1];
  if (script?.endsWith("scripts/start.ts")) return "npm start";
  return (argv[0] ?? "").split("/").at(-1) || `pid ${pid}`;
}

function sample(pids: readonly number[], component: (pid: number) => string) {
  const entries: Array<[number, { component: string; seconds: number }]> = [];
  for (const pid of pids) {
    try {
      entries.push([pid, { component: component(pid), seconds: cpuSeconds(pid) }]);
    } catch {
      // exited between listing and reading
    }
  }
  return entries;
}

/**
 * Meters the processes started by the orchestrator (`rootPid` and its descendants: services, edge,
 * nats-server) plus the Postgres backends serving the run's own databases (found in
 * pg_stat_activity by name prefix), and this process as "generator". Postgres's shared background
 * workers and Redis are not counted.
 */
export function createCpuMeter(options: {
  rootPid: number;
  postgresAdminUrl: string;
  databasePrefix: string;
}): CpuMeter {
  const sql = postgres(options.postgresAdminUrl, { max: 1, onnotice: () => {} });
  return {
    async snapshot() {
      const backends = await sql<{ pid: number }[]>`
        SELECT pid FROM pg_stat_activity WHERE starts_with(datname, ${options.databasePrefix})`;
      const generator = process.cpuUsage();
      return new Map([
        // This process: the load generator, sharing the cores with the system it measures.
        [process.pid, { component: "generator", seconds: (generator.user + generator.system) / 1e6 }],
        ...sample(processTree(options.rootPid), componentOf),
        ...sample(
          backends.map((row) => row.pid),
          () => "postgres",
        ),
      ]);
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * CPU seconds per component between two snapshots. A process that appeared in between counts from
 * zero (it started during the interval); one that vanished is left out.
 */
export function cpuUsedBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const used = new Map<string, number>();
  for (const [pid, { component, seconds }] of after) {
    const delta = seconds - (before.get(pid)?.seconds ?? 0);
    used.set(component, (used.get(component) ?? 0) + delta);
  }
  return used;
}
