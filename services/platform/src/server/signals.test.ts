import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { describe, it } from "node:test";
import { createLogger } from "../log.js";
import { stopOnSignals } from "./signals.js";

const silent = createLogger({ service: "test", level: "silent" });

/** A runtime whose shutdown the test finishes by hand, to observe what happens meanwhile. */
function pendingRuntime() {
  let finish: (error?: Error) => void = () => {};
  let calls = 0;
  const runtime = {
    shutdown: () => {
      calls++;
      return new Promise<void>((resolve, reject) => {
        finish = (error) => (error ? reject(error) : resolve());
      });
    },
  };
  return { runtime, finish: (error?: Error) => finish(error), calls: () => calls };
}

function harness() {
  const target = new EventEmitter();
  const exits: number[] = [];
  const exited = () =>
    new Promise<number>((resolve) => {
      const check = () => (exits.length > 0 ? resolve(exits[0] as number) : setImmediate(check));
      check();
    });
  return { target, exits, exited, exit: (code: number) => void exits.push(code) };
}

describe("stopOnSignals", () => {
  it("shuts down once on SIGTERM and exits 0 when the shutdown completes", async () => {
    const { runtime, finish, calls } = pendingRuntime();
    const h = harness();
    stopOnSignals(runtime, silent, { target: h.target, exit: h.exit });

    h.target.emit("SIGTERM", "SIGTERM");
    assert.equal(calls(), 1);
    assert.deepEqual(h.exits, [], "does not exit before the shutdown finished");
    finish();
    assert.equal(await h.exited(), 0);
  });

  it("exits 1 when the shutdown throws", async () => {
    const { runtime, finish } = pendingRuntime();
    const h = harness();
    stopOnSignals(runtime, silent, { target: h.target, exit: h.exit });

    h.target.emit("SIGINT", "SIGINT");
    finish(new Error("pool would not close"));
    assert.equal(await h.exited(), 1);
  });

  it("exits at once on a second signal without starting another shutdown", () => {
    const { runtime, calls } = pendingRuntime();
    const h = harness();
    stopOnSignals(runtime, silent, { target: h.target, exit: h.exit });

    h.target.emit("SIGTERM", "SIGTERM");
    h.target.emit("SIGINT", "SIGINT");
    assert.equal(calls(), 1);
    assert.deepEqual(h.exits, [1]);
  });

  it("removes its listeners when disposed", () => {
    const h = harness();
    const dispose = stopOnSignals(pendingRuntime().runtime, silent, { target: h.target, exit: h.exit });
    assert.equal(h.target.listenerCount("SIGTERM"), 1);
    dispose();
    assert.equal(h.target.listenerCount("SIGTERM"), 0);
    assert.equal(h.target.listenerCount("SIGINT"), 0);
  });

  it("makes a real process exit 0 after a graceful shutdown on SIGTERM", async () => {
    const signalsModule = new URL("./signals.ts", import.meta.url).href;
    const logModule = new URL("../log.ts", import.meta.url).href;
    const script = `
      const { stopOnSignals } = await import(${JSON.stringify(signalsModule)});
      const { createLogger } = await import(${JSON.stringify(logModule)});
      const keepAlive = setInterval(() => {}, 1000);
      const runtime = { shutdown: async () => { clearInterval(keepAlive); console.log("shutdown ran"); } };
      stopOnSignals(runtime, createLogger({ service: "child", level: "silent" }));
      console.log("ready");
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.setEncoding("utf8");
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: string) => {
        output += chunk;
        if (output.includes("ready")) resolve();
      });
    });
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
    assert.match(output, /shutdown ran/);
  });
});
