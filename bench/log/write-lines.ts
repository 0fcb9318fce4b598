/**
 * Child process of `bench/log-lines.ts`: writes request log lines through one stdout destination and
 * reports the CPU it used per line on stderr, as JSON. Why a process per run: each destination gets
 * its own heap, JIT and file descriptor, and the CPU counted is that of logging alone.
 *
 * Usage: `write-lines.ts <sonic-boom|buffered-stdout> <lines> <lines per turn>`.
 */
import { createBufferedStdout } from "@shop/platform/buffered-stdout";
import { createLogger } from "@shop/platform/log";
import { pino } from "pino";

const [destinationName, linesText, perTurnText] = process.argv.slice(2);
const lines = Number(linesText);
const perTurn = Number(perTurnText);

/** pino's asynchronous SonicBoom with 4 KiB batches: the platform's stdout before createBufferedStdout. */
function sonicBoom() {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 100).unref();
  return destination;
}

const destination = destinationName === "sonic-boom" ? sonicBoom() : createBufferedStdout();
const logger = createLogger({ service: "edge", level: "info", destination });
/** The fields of the edge's request log line (service.ts). */
const line = {
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  span_id: "00f067aa0ba902b7",
  requestId: "c0a8f6d2-5d1f-4c7e-9a1b-2f3e4d5c6b7a",
  method: "GET",
  route: "/v1/products/{id}",
  status: 200,
  durationMs: 1.3,
};

const before = process.cpuUsage();
let written = 0;
await new Promise<void>((resolve) => {
  const turn = () => {
    for (let i = 0; i < perTurn && written < lines; i++, written++) logger.info(line, "request");
    if (written < lines) setImmediate(turn);
    else resolve();
  };
  turn();
});
const used = process.cpuUsage(before);
process.stderr.write(`${JSON.stringify({ microsPerLine: (used.user + used.system) / lines })}\n`);
