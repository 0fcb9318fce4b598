import type { Logger } from "../log.js";

/** Anything that can be stopped gracefully: a service runtime, a gRPC server, a whole system. */
export interface Stoppable {
  shutdown(): Promise<void>;
}

/** The parts of `process` this module uses, so tests can drive it without real signals. */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface StopOnSignalsOptions {
  /** Defaults to `process`. */
  readonly target?: SignalTarget;
  /** Defaults to `process.exit`. */
  readonly exit?: (code: number) => void;
  /** Defaults to SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * Stops `runtime` gracefully on the first SIGTERM or SIGINT and exits the process: 0 when the
 * shutdown completed, 1 when it threw. A second signal while shutting down exits at once with 1.
 * Returns a function that removes the listeners.
 *
 * Why: Kubernetes and `docker stop` send SIGTERM and wait, so a service that drains (health
 * NOT_SERVING, in-flight calls finish, stores closed) loses no request on a rolling deploy; an
 * operator pressing Ctrl-C twice means "now", and must not be made to wait for the grace period.
 */
export function stopOnSignals(
  runtime: Stoppable,
  logger: Logger,
  options: StopOnSignalsOptions = {},
): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? (["SIGTERM", "SIGINT"] as const);
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting for the shutdown");
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, "signal received: shutting down gracefully");
    runtime.shutdown().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "graceful shutdown failed");
        exit(1);
      },
    );
  };

  for (const signal of signals) target.on(signal, onSignal);
  return () => {
    for (const signal of signals) target.off(signal, onSignal);
  };
}
