import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export interface SpawnedServer {
  readonly process: ChildProcess;
  /** Keeps what the server prints from now on (its request logs, say); call the result to stop and read it. */
  captureOutput(): () => string;
  stop(): Promise<void>;
}

/**
 * Starts a benchmark server script in its own Node process, pinned to one CPU with taskset, and
 * waits for it to print `readyText`. Separate processes keep each server's JIT and GC state its own.
 */
export async function spawnServer(
  script: string,
  env: Record<string, string>,
  cpu: number,
  readyTimeoutMs = 30_000,
  readyText = "ready",
): Promise<SpawnedServer> {
  const child = spawn("taskset", ["-c", String(cpu), process.execPath, "--import", "tsx", script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not become ready: ${output}`)),
      readyTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        // From here on the server's output (e.g. request logs) is drained and dropped.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready: ${output}`));
    });
  });
  await ready;
  return {
    process: child,
    captureOutput() {
      const chunks: Buffer[] = [];
      const keep = (chunk: Buffer) => chunks.push(chunk);
      child.stdout?.on("data", keep);
      return () => {
        child.stdout?.off("data", keep);
        return Buffer.concat(chunks).toString("utf8");
      };
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([once(child, "exit"), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
