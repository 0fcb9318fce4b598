import type { DestinationStream } from "pino";
import { pino } from "pino";

/**
 * The sink writes once this many bytes wait, or at the next flush tick, whichever comes first. Why
 * 32 KiB: a write to a pipe costs tens of µs of CPU whatever its size (the thread-pool hand-off, the
 * system call, waking the reader), so lines share it best in large batches; 64 KiB, a whole pipe
 * buffer, cost more again.
 */
const batchBytes = 32 * 1024;
const flushIntervalMs = 100;
/** The largest single write: a batch in one write(2) rather than SonicBoom's default 16 KiB pieces. */
const maxWriteBytes = 64 * 1024;

/**
 * The destinations to flush when the process exits, behind one `exit` listener. pino flushes its own
 * SonicBoom at exit, but not the lines of the current turn that this module still holds.
 */
const flushedAtExit = new Set<() => void>();
process.once("exit", () => {
  for (const flushSync of flushedAtExit) {
    try {
      flushSync();
    } catch {
      // stdout is gone (EPIPE, closed): there is nowhere left to write to.
    }
  }
});

/** A pino destination that can also be flushed synchronously (at exit, and by `logger.fatal`). */
export interface BufferedStdout extends DestinationStream {
  flushSync(): void;
}

/**
 * Standard output for the process logger: lines gathered for the rest of the event-loop turn, handed
 * as one string to pino's asynchronous `SonicBoom`, which writes them in batches of 32 KiB (or what
 * waits at the 100 ms tick) from the thread pool, never one synchronous write(2) per line.
 *
 * Why two stages:
 * - batched writes: a request log line per call made pino's default synchronous stdout the largest
 *   single cost of the edge under load (12 % of its CPU, measured with `--cpu-prof`);
 * - lines joined per turn before `SonicBoom` sees them: on every `write` it measures the byte length
 *   of its whole pending buffer, a string it grows by concatenation, so each line paid for flattening
 *   and scanning everything still waiting, which grew with the batch. That was 29 % of a log call's
 *   CPU, plus the garbage of the flattened copies, and it made larger batches cost more, not less.
 *   `npm run bench -- log` measures both against SonicBoom with 4 KiB batches.
 *
 * Nothing is lost on the way out: the lines of the current turn are handed over and everything
 * waiting is written synchronously when the process exits (an uncaught exception included) and on
 * `logger.fatal`. Only a SIGKILL loses what is waiting: at most the last 100 ms of lines.
 */
export function createBufferedStdout(): BufferedStdout {
  const sink = pino.destination({ dest: 1, sync: false, minLength: batchBytes, maxWrite: maxWriteBytes });
  let lines: string[] = [];
  let handOverScheduled = false;

  const handOver = (): void => {
    handOverScheduled = false;
    if (lines.length === 0) return;
    const text = lines.length === 1 ? (lines[0] as string) : lines.join("");
    lines = [];
    sink.write(text);
  };
  const flushSync = (): void => {
    handOver();
    sink.flushSync();
  };

  const tick = setInterval(() => {
    try {
      sink.flush();
    } catch {
      // Destroyed at exit, between its last write and its "close" event: nothing is left to flush.
    }
  }, flushIntervalMs);
  tick.unref();
  flushedAtExit.add(flushSync);
  sink.once("close", () => {
    clearInterval(tick);
    flushedAtExit.delete(flushSync);
  });

  return {
    write(line: string): void {
      lines.push(line);
      if (!handOverScheduled) {
        handOverScheduled = true;
        setImmediate(handOver);
      }
    },
    flushSync,
  };
}
