import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";
import type { Upstream } from "@shop/platform/clients";

export interface Readiness {
  readonly ready: boolean;
  /** Upstream name → `SERVING`, another status name, or the error that prevented the check. */
  readonly upstreams: Readonly<Record<string, string>>;
}

/**
 * Asks every upstream's `grpc.health.v1.Health/Check` (whole server) in parallel. Why every one:
 * the edge is only useful when it can route all of its REST surface; a load balancer should not send
 * traffic to an edge whose upstreams are unreachable from where it runs.
 */
export async function checkReadiness(upstreams: readonly Upstream[], timeoutMs: number): Promise<Readiness> {
  const results = await Promise.all(
    upstreams.map(async (upstream): Promise<[string, string]> => {
      try {
        const res = await upstream.client(Health).check({ service: "" }, { timeoutMs });
        return [upstream.name, HealthCheckResponse_ServingStatus[res.status] ?? String(res.status)];
      } catch (error) {
        return [upstream.name, `unreachable: ${(error as Error).message}`];
      }
    }),
  );
  return {
    ready: results.every(([, status]) => status === "SERVING"),
    upstreams: Object.fromEntries(results),
  };
}
