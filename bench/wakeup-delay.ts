import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { machineTicks } from "./cpu-time.js";

const probeSource = fileURLToPath(new URL("probes/wakeup-delay.c", import.meta.url));
let probeBinary: Promise<string> | undefined;

/** Compiles the probe once per benchmark process, into a temporary directory. */
function buildProbe(): Promise<string> {
  probeBinary ??= (async () => {
    const directory = await mkdtemp(join(tmpdir(), "shop-wakeup-delay-"));
    process.once("exit", () => rmSync(directory, { recursive: true, force: true }));
    const binary = join(directory, "wakeup-delay");
    try {
      await promisify(execFile)("cc", ["-O2", "-o", binary, probeSource]);
    } catch (error) {
      throw new Error(`could not build the wake-up probe with cc (Debian's gcc): ${String(error)}`);
    }
    return binary;
  })();
  return probeBinary;
}

/** How late a 1 ms sleep ended on one CPU while a run went on (see probes/wakeup-delay.c). */
export interface WakeupDelay {
  readonly cpu: number;
  readonly wakeups: number;
  /** Share of sleeps that ended at least 1 ms (2 ms) late. */
  readonly shareLate1ms: number;
  readonly shareLate2ms: number;
  readonly p99LateMs: number;
  readonly maxLateMs: number;
}

/**
 * Runs `run` with a wake-up delay probe pinned to each CPU, and returns what they saw and how busy the
 * whole machine was meanwhile (share of all CPUs' time, the probes' own included).
 *
 * Why: the B2 latency targets are set in milliseconds on a two-core machine that also carries the
 * load generator and Postgres. How late the machine wakes a task that only sleeps shows the waits
 * any process meets there when a request or reply wakes it, whatever its code. It is an estimate
 * for the servers, not a bound: the probes are pinned to one CPU each, while the servers may be
 * woken on whichever CPU is free.
 */
export async function withWakeupProbes<T>(
  run: () => Promise<T>,
): Promise<{ readonly result: T; readonly probes: readonly WakeupDelay[]; readonly machineBusy: number }> {
  const binary = await buildProbe();
  const probes = cpus().map((_, cpu) => {
    const child = spawn("taskset", ["-c", String(cpu), binary], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // "close", not "exit": a process can exit before its last output has been read from the pipe.
    // Rejects if the probe cannot start (no taskset); read only in stop(), so marked handled here.
    const exited = once(child, "close");
    exited.catch(() => {});
    return {
      async stop(): Promise<WakeupDelay> {
        child.kill("SIGTERM");
        const [code] = await exited;
        if (output.trim() === "") {
          throw new Error(`the wake-up probe on CPU ${cpu} printed nothing (exit ${code})`);
        }
        const { full, ...delay } = JSON.parse(output) as Omit<WakeupDelay, "cpu"> & { full: boolean };
        if (full) throw new Error(`the wake-up probe on CPU ${cpu} ran out of room before the run ended`);
        return { cpu, ...delay };
      },
    };
  });
  const stopAll = () => Promise.all(probes.map((probe) => probe.stop()));
  const before = machineTicks();
  try {
    const result = await run();
    const after = machineTicks();
    const machineBusy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    return { result, probes: await stopAll(), machineBusy };
  } catch (error) {
    // No probe outlives a failed run.
    await stopAll().catch(() => {});
    throw error;
  }
}
