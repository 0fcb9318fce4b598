import assert from "node:assert/strict";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { clientGoneSignal } from "./client-gone-signal.js";

test("requests on one keep-alive connection share a signal that aborts only when the client leaves", async () => {
  const signals: AbortSignal[] = [];
  let reportAbort!: () => void;
  const aborted = new Promise<void>((resolve) => {
    reportAbort = resolve;
  });
  const server = createServer((req, res) => {
    const signal = clientGoneSignal(req);
    signals.push(signal);
    if (req.url === "/hang") signal.addEventListener("abort", () => reportAbort());
    else res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<ReturnType<typeof request>>((resolve) => {
      const req = request({ port, path, agent, host: "127.0.0.1" }, (res) => res.resume());
      req.on("error", () => {});
      req.end();
      resolve(req);
    });
  try {
    await get("/a");
    await new Promise((r) => setTimeout(r, 50));
    await get("/b");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(signals.length, 2);
    assert.equal(signals[0], signals[1], "one signal per connection");
    assert.equal(signals[0]?.aborted, false, "finished requests abort nothing");
    const hanging = await get("/hang");
    await new Promise((r) => setTimeout(r, 50));
    hanging.destroy();
    await aborted;
    assert.equal(signals[2]?.aborted, true);
  } finally {
    agent.destroy();
    server.close();
  }
});
