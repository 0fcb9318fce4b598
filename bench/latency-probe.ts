/**
 * An open-loop load generator for latency at a fixed rate: sends requests on a schedule regardless
 * of how fast answers come (so a slow server cannot slow the load down and hide its own latency),
 * and prints percentiles as JSON. Run pinned to the other CPU by the benchmark.
 *
 * Usage: node --import tsx bench/latency-probe.ts <grpc|http> <url> <rate/s> <seconds> [bodyFile]
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { percentile } from "./stats.js";

const [mode, target, rateArg, secondsArg, bodyFile] = process.argv.slice(2);
if ((mode !== "grpc" && mode !== "http") || !target || !rateArg || !secondsArg) {
  console.error("usage: latency-probe.ts <grpc|http> <url> <rate/s> <seconds> [bodyFile]");
  process.exit(2);
}
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const url = new URL(target);

type Send = () => Promise<boolean>;

function grpcSender(): Send {
  const body = readFileSync(bodyFile as string);
  const session = http2.connect(url.origin);
  return () =>
    new Promise((resolve) => {
      const stream = session.request({
        ":method": "POST",
        ":path": url.pathname,
        "content-type": "application/grpc",
        te: "trailers",
      });
      let ok = false;
      stream.on("trailers", (trailers) => {
        ok = trailers["grpc-status"] === "0";
      });
      stream.on("data", () => {});
      stream.on("close", () => resolve(ok));
      stream.on("error", () => resolve(false));
      stream.end(body);
    });
}

function httpSender(): Send {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return () =>
    new Promise((resolve) => {
      const request = http.get(url, { agent }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode === 200));
      });
      request.on("error", () => resolve(false));
    });
}

const send = mode === "grpc" ? grpcSender() : httpSender();
const latencies: number[] = [];
let failures = 0;
const pending: Promise<void>[] = [];
const started = performance.now();
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const sentAt = performance.now();
  pending.push(
    send().then((ok) => {
      if (ok) latencies.push(performance.now() - sentAt);
      else failures++;
    }),
  );
}
await Promise.all(pending);
console.log(
  JSON.stringify({
    sent: total,
    failures,
    achievedRate: total / ((performance.now() - started) / 1000),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
  }),
);
process.exit(0);
