import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@shop/gen/health/v1/health_pb";

export { ServingStatus };

/**
 * The serving status of the whole server ("") and of each service it hosts, as reported by the
 * standard `grpc.health.v1.Health` service. Kubernetes gRPC probes, Envoy health checks and
 * grpcurl all read this, so it is the one place readiness lives.
 */
export interface HealthRegistry {
  /** Sets a status and notifies every Watch stream of that service. */
  set(service: string, status: ServingStatus): void;
  get(service: string): ServingStatus | undefined;
  /** Marks everything NOT_SERVING, so probes stop routing traffic here before the server drains. */
  markAllNotServing(): void;
  /** Ends all Watch streams; called once the server stops. */
  close(): void;
  readonly impl: ServiceImpl<typeof Health>;
}

/**
 * How much of an unknown service name a NotFound message quotes. Why a bound: the name comes from an
 * anonymous caller and may be megabytes long; echoed whole into `grpc-message` it makes a header
 * block no HTTP/2 client accepts, so the caller got INTERNAL and lost its connection instead of
 * NOT_FOUND. Real service names are far shorter.
 */
const quotedNameLength = 200;

function unknownService(service: string): ConnectError {
  // Only the head is split into code points (at most two UTF-16 units each), so a megabyte-long name
  // costs no more than a short one.
  const head = [...service.slice(0, 2 * quotedNameLength + 1)];
  const quoted =
    head.length > quotedNameLength
      ? `${JSON.stringify(head.slice(0, quotedNameLength).join(""))}…`
      : JSON.stringify(service);
  return new ConnectError(`unknown service ${quoted}`, Code.NotFound);
}

/** Creates the health registry; `""` stands for the server as a whole, as the protocol defines. */
export function createHealthRegistry(): HealthRegistry {
  const statuses = new Map<string, ServingStatus>();
  const watchers = new Map<string, Set<(status: ServingStatus) => void>>();
  const closed = new AbortController();

  const response = (status: ServingStatus): HealthCheckResponse =>
    create(HealthCheckResponseSchema, { status });

  function set(service: string, status: ServingStatus): void {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const notify of watchers.get(service) ?? []) notify(status);
  }

  async function* watch(service: string, signal: AbortSignal): AsyncGenerator<HealthCheckResponse> {
    const queue: ServingStatus[] = [statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN];
    let wake: (() => void) | undefined;
    const notify = (status: ServingStatus) => {
      queue.push(status);
      wake?.();
    };
    const stop = () => wake?.();
    const listeners = watchers.get(service) ?? new Set();
    watchers.set(service, listeners);
    listeners.add(notify);
    signal.addEventListener("abort", stop);
    closed.signal.addEventListener("abort", stop);
    try {
      while (!signal.aborted && !closed.signal.aborted) {
        const next = queue.shift();
        if (next !== undefined) {
          yield response(next);
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      listeners.delete(notify);
      // Forget the name with its last watcher: names come from anonymous callers, and keeping every
      // name ever watched would let them grow this map (and the process) without bound.
      if (listeners.size === 0 && watchers.get(service) === listeners) watchers.delete(service);
      signal.removeEventListener("abort", stop);
      closed.signal.removeEventListener("abort", stop);
    }
  }

  return {
    set,
    get: (service) => statuses.get(service),
    markAllNotServing() {
      for (const service of statuses.keys()) set(service, ServingStatus.NOT_SERVING);
    },
    close: () => closed.abort(),
    impl: {
      check(request) {
        const status = statuses.get(request.service);
        if (status === undefined) throw unknownService(request.service);
        return response(status);
      },
      watch(request, context) {
        return watch(request.service, context.signal);
      },
      list() {
        const list: Record<string, HealthCheckResponse> = {};
        for (const [service, status] of statuses) list[service] = response(status);
        return { statuses: list };
      },
    },
  };
}
