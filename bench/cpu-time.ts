import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. Benchmarks take
 * the difference around a load run to get requests per CPU-second of the processes under test.
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command name: field 3 is state, so utime (14) and stime (15) are at offsets 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The machine's CPU time counters so far, in ticks: busy (everything but idle and iowait) and total. */
export function machineTicks(): { readonly busy: number; readonly total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is inside user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}
