import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { type ProcessSpec, repoRoot } from "./services.js";

const colours = [36, 33, 35, 32, 34, 91, 96, 93];

export interface RunningProcess {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts one service as a child process and prefixes every line it prints with its name, so the
 * whole system's logs read as one stream in one terminal.
 */
export function startProcess(
  spec: ProcessSpec,
  index: number,
  onExit: (code: number | null) => void,
): RunningProcess {
  const child = spawn(process.execPath, ["--import", "tsx", spec.entry], {
    cwd: repoRoot,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = `\x1b[${colours[index % colours.length]}m${spec.name.padEnd(12)}\x1b[0m│ `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => process.stdout.write(`${prefix}${line}\n`));
  }
  child.once("exit", onExit);
  return {
    spec,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if ((await Promise.race([exited.then(() => true), delay(15_000, false)])) === false)
        child.kill("SIGKILL");
    },
  };
}
