import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { type ProcessSpec, repoRoot } from "./services.js";

const colours = [36, 33, 35, 32, 34, 91, 96, 93];

export interface RunningProcess {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after 15 s; resolves true when the process exited cleanly (code 0). */
  stop(): Promise<boolean>;
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
  // Its own process group: a Ctrl-C in the terminal reaches only `npm start`, which then sends each
  // service one SIGTERM. Sharing the terminal's group, a service would get the terminal's SIGINT and
  // then this SIGTERM, and take the second signal as "exit now", cutting its graceful drain short.
  const child = spawn(process.execPath, ["--import", "tsx", spec.entry], {
    cwd: repoRoot,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
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
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode === 0;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      const code = await Promise.race([exited, delay(15_000, "timeout" as const)]);
      if (code === "timeout") {
        child.kill("SIGKILL");
        return false;
      }
      return code === 0;
    },
  };
}
