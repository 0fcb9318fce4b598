import type { Logger } from "./log.js";

/**
 * What a service opened while starting (pools, connections, relays, clients), as a stack of closers.
 * Closers run last-registered first, so whatever was opened on top of something else (a relay on a
 * pool, a consumer on a connection) stops before the thing it stands on.
 */
export interface ServiceResources {
  /** Registers how to close something just opened. Registered after `close` began, it runs at once. */
  defer(close: () => unknown): void;
  /**
   * Runs every closer, last registered first; a failing closer is logged and the rest still run.
   * Idempotent: later calls wait for the first one.
   */
  close(): Promise<void>;
}

/**
 * Creates an empty resource stack for a service's start-up.
 *
 * Why: every service opens several things in order and must close them in the reverse order both on
 * a graceful shutdown and when start-up fails half way (a migration error, NATS unreachable); kept
 * by hand, that ordering was repeated, slightly differently, in every service. Give the runtime
 * `onShutdown: [() => resources.close()]` so a graceful stop runs the same stack.
 */
export function createServiceResources(logger: Logger): ServiceResources {
  const closers: Array<() => unknown> = [];
  let closing: Promise<void> | undefined;
  const runOne = async (close: () => unknown) => {
    try {
      await close();
    } catch (error) {
      logger.error({ err: error }, "closing a service resource failed");
    }
  };
  return {
    defer(close) {
      if (closing) void runOne(close);
      else closers.push(close);
    },
    close() {
      closing ??= (async () => {
        for (let close = closers.pop(); close; close = closers.pop()) await runOne(close);
      })();
      return closing;
    },
  };
}

/**
 * Runs a service's start-up with a fresh resource stack and closes that stack when start-up throws,
 * then rethrows. Why: a service that fails to start must not leave pools, sockets or timers behind
 * (tests start many services in one process; a leaked handle keeps it alive).
 */
export async function startWithResources<T>(
  logger: Logger,
  start: (resources: ServiceResources) => Promise<T>,
): Promise<T> {
  const resources = createServiceResources(logger);
  try {
    return await start(resources);
  } catch (error) {
    await resources.close();
    throw error;
  }
}
