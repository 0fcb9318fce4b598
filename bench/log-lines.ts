import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { formatRatio, median } from "./stats.js";

export interface LogLinesOptions {
  readonly rounds: number;
  readonly lines: number;
  /** Lines written per event-loop turn: what a server under load logs between two polls. */
  readonly linesPerTurn: number;
}

type DestinationName = "sonic-boom" | "buffered-stdout";

const childScript = fileURLToPath(new URL("log/write-lines.ts", import.meta.url));

/** One child writing `lines` request log lines to a pipe the parent drains; its CPU µs per line. */
async function measure(destination: DestinationName, options: LogLinesOptions): Promise<number> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", childScript, destination, String(options.lines), String(options.linesPerTurn)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let received = 0;
  let report = "";
  child.stdout.on("data", (chunk: Buffer) => {
    received += chunk.byteLength;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    report += chunk.toString();
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`${destination} writer exited with ${code}: ${report}`);
  if (received === 0) throw new Error(`${destination} wrote nothing`);
  return (JSON.parse(report.trim().split("\n").at(-1) as string) as { microsPerLine: number }).microsPerLine;
}

/**
 * The CPU cost of one request log line through the platform's stdout destination
 * (`createBufferedStdout`) against its baseline, pino's asynchronous SonicBoom with 4 KiB batches (the
 * platform's stdout before it), in alternating rounds of fresh processes. Serializing the line (pino)
 * is in both.
 */
export async function runLogLines(options: LogLinesOptions): Promise<string> {
  const runs: Record<DestinationName, number[]> = { "sonic-boom": [], "buffered-stdout": [] };
  await measure("sonic-boom", options);
  await measure("buffered-stdout", options);
  for (let round = 1; round <= options.rounds; round++) {
    const order: DestinationName[] =
      round % 2 === 1 ? ["sonic-boom", "buffered-stdout"] : ["buffered-stdout", "sonic-boom"];
    for (const destination of order) runs[destination].push(await measure(destination, options));
    console.log(
      `log lines round ${round}: SonicBoom ${runs["sonic-boom"].at(-1)?.toFixed(2)} µs, buffered stdout ${runs["buffered-stdout"].at(-1)?.toFixed(2)} µs per line`,
    );
  }
  const baseline = median(runs["sonic-boom"]);
  const platform = median(runs["buffered-stdout"]);
  const cpu = cpus();
  return `## Log lines — the platform's stdout destination vs pino's SonicBoom

Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, Node ${process.version}.
One process per run writes ${options.lines} lines shaped like the edge's request log (pino, the platform
logger's redaction and ISO time) in turns of ${options.linesPerTurn} lines, to a pipe the parent drains; CPU is the
writer's user + system time. ${options.rounds} alternating rounds after a warm-up; medians.

| destination | CPU µs per line |
|---|---:|
| pino.destination (SonicBoom, asynchronous, 4 KiB batches): baseline | ${baseline.toFixed(2)} |
| createBufferedStdout (lines joined per turn, then SonicBoom with 32 KiB batches) | ${platform.toFixed(2)} |

**CPU per line: ${formatRatio(platform / baseline)} of the baseline** (rounds: SonicBoom ${runs["sonic-boom"].map((v) => v.toFixed(2)).join(", ")}; buffered stdout ${runs["buffered-stdout"].map((v) => v.toFixed(2)).join(", ")}).
Every service writes one such line per request, so this is a saving of every request's CPU.

Reproduce: \`npm run bench -- log\`.`;
}
