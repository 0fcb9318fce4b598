import { randomFillSync } from "node:crypto";

/** Random bytes drawn from the system in one call, handed out a few at a time. */
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

/**
 * `bytes` random bytes as lowercase hex, never all zeros (an all-zero trace or span id is invalid in
 * W3C Trace Context). Why a pool: ids are made on every request (trace and span ids), and one
 * `randomFillSync` per 4 KiB plus a hex slice costs less than a `randomUUID` stripped of its dashes,
 * which made three strings per id.
 */
export function randomHex(bytes: number): string {
  for (;;) {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const start = used;
    used += bytes;
    for (let i = start; i < used; i++) if (pool[i] !== 0) return pool.toString("hex", start, used);
  }
}
