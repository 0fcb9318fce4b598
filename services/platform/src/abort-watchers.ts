/** The callbacks waiting on each signal; a signal's one `abort` listener runs them. */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `onAbort` when `signal` aborts, unless `unwatchAbort` came first. Every watcher of a signal
 * shares one `abort` listener on it.
 *
 * Why not `addEventListener` per call: the edge hands every upstream call the signal of its client's
 * connection, so one signal serves call after call, and adding and removing a listener on Node's
 * `EventTarget` for each (it walks and rebuilds its listener list) was about 2 % of the edge's CPU
 * per REST request, several times the cost of a set entry.
 */
export function watchAbort(signal: AbortSignal, onAbort: () => void): void {
  let waiting = watchers.get(signal);
  if (!waiting) {
    const callbacks = new Set<() => void>();
    signal.addEventListener(
      "abort",
      () => {
        const due = [...callbacks];
        callbacks.clear();
        for (const callback of due) callback();
      },
      { once: true },
    );
    watchers.set(signal, callbacks);
    waiting = callbacks;
  }
  waiting.add(onAbort);
}

/** Stops `onAbort` from being called for `signal` (the call it guarded is over). */
export function unwatchAbort(signal: AbortSignal, onAbort: () => void): void {
  watchers.get(signal)?.delete(onAbort);
}
