import type { Logger } from "@shop/platform/log";
import { type RepeatingTask, repeatAfterSettled } from "@shop/platform/repeat-after-settled";
import type { InventoryStore } from "./store.js";

export interface ReleaseMarkerPurgeOptions {
  readonly store: Pick<InventoryStore, "purgeReleaseMarkers">;
  readonly logger: Logger;
  /** Markers written longer ago than this are deleted (RELEASE_MARKER_RETENTION_MS). */
  readonly retentionMs: number;
  /** Pause between two passes (RELEASE_MARKER_PURGE_INTERVAL_MS). */
  readonly intervalMs: number;
  /** Markers deleted per statement at most; a pass repeats the statement while it comes back full. Default 1000. */
  readonly batchSize?: number;
  /** Clock, so tests can place markers on either side of the retention without waiting. */
  readonly now?: () => Date;
}

export interface ReleaseMarkerPurge {
  /** Deletes every marker older than the retention now, batch by batch; returns how many. Passes never overlap. */
  runPass(): Promise<number>;
  /** Runs a pass now, then one every `intervalMs` after the previous one settled. */
  start(): void;
  /** Stops the passes and waits for the one running, which ends after its current batch. */
  stop(): Promise<void>;
}

/**
 * Deletes the marker rows that releases of unknown reservation ids leave behind (store.ts,
 * `releasedFirstOrderId`) once they are older than the retention, when no ReserveStock of their id can
 * still arrive. Why a background purge: each compensated reserve timeout writes one, and nothing else
 * ever deletes them. Batches keep every statement short, so a backlog (the first pass after an
 * upgrade, or after a long outage) never locks many rows at once. Every replica may run one: a marker
 * is deleted once, and a batch skips markers another statement holds.
 */
export function createReleaseMarkerPurge(options: ReleaseMarkerPurgeOptions): ReleaseMarkerPurge {
  const { store, retentionMs } = options;
  const logger = options.logger.child({ component: "release-marker-purge" });
  const batchSize = options.batchSize ?? 1000;
  const now = options.now ?? (() => new Date());
  let stopped = false;
  let passes: RepeatingTask | undefined;
  let passing: Promise<unknown> = Promise.resolve();

  async function pass(): Promise<number> {
    // One cutoff per pass: markers written during the pass are not chased, so the pass ends.
    const before = new Date(now().getTime() - retentionMs);
    let purged = 0;
    try {
      for (;;) {
        const deleted = await store.purgeReleaseMarkers(before, batchSize);
        purged += deleted;
        if (deleted < batchSize || stopped) return purged;
      }
    } finally {
      // Also when a later batch failed: the earlier ones are committed.
      if (purged > 0) logger.info({ purged, before: before.toISOString() }, "purged expired release markers");
    }
  }

  function runPass(): Promise<number> {
    const run = passing.then(pass);
    passing = run.catch(() => {});
    return run;
  }

  return {
    runPass,
    start() {
      passes = repeatAfterSettled(runPass, options.intervalMs, (error) =>
        logger.error({ err: error }, "release marker purge failed; the next pass retries"),
      );
    },
    async stop() {
      stopped = true;
      passes?.stop();
      await passing;
    },
  };
}
