import assert from "node:assert/strict";
import { test } from "node:test";
import { pairedAddedLatency } from "./paired-latency.js";

const proxyLine = (trace: string, durationMs: number) =>
  JSON.stringify({ trace_id: trace, durationMs, msg: "request" });
const upstreamLine = (trace: string, duration: number) =>
  JSON.stringify({ trace_id: trace, duration_ms: duration });

test("subtracts each request's upstream time from the proxy's, pairing by trace id", () => {
  const proxy = [
    proxyLine("a", 5),
    proxyLine("b", 3),
    proxyLine("c", 40),
    proxyLine("only-proxy", 99),
    "not json",
  ].join("\n");
  const upstream = [
    upstreamLine("b", 1),
    upstreamLine("a", 4.5),
    upstreamLine("c", 38),
    '{"trace_id":"cut',
  ].join("\n");
  const result = pairedAddedLatency(proxy, upstream);
  assert.equal(result.pairs, 3);
  assert.equal(result.p50, 2); // added: a 0.5, b 2, c 2
  assert.equal(result.p99, 2);
});

test("an upstream tail that the proxy only passes on adds nothing", () => {
  const proxy = Array.from({ length: 100 }, (_, i) => proxyLine(`t${i}`, i === 7 ? 51 : 2)).join("\n");
  const upstream = Array.from({ length: 100 }, (_, i) => upstreamLine(`t${i}`, i === 7 ? 50 : 1)).join("\n");
  assert.equal(pairedAddedLatency(proxy, upstream).p99, 1);
});

test("logs with no request in common are an error, not a zero", () => {
  assert.throws(() => pairedAddedLatency(proxyLine("a", 1), upstreamLine("b", 1)), /both logs/);
});
