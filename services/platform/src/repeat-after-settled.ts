/** A task that `repeatAfterSettled` keeps running; `stop` cancels the next run (not one in progress). */
export interface RepeatingTask {
  stop(): void;
}

/**
 * Runs `run` now, then again `intervalMs` after each run has settled, until stopped; a failed run is
 * handed to `onError` and the schedule goes on.
 *
 * Why after settling, not `setInterval`: a scan that takes longer than the interval (a slow database,
 * a long batch) must not overlap the next one. Shared by the background scans of the services (the
 * order saga's recovery scan, payment's owed-refund passes) so each does not keep its own timer.
 */
export function repeatAfterSettled(
  run: () => Promise<unknown>,
  intervalMs: number,
  onError: (error: unknown) => void,
): RepeatingTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    run()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
