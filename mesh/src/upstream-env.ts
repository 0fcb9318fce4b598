import type { ServiceSpec, Topology, UpstreamLink } from "./topology-types.js";

/** One `<NAME>=<url>` a deployed process needs to reach an upstream. */
export interface UpstreamEnvVar {
  readonly name: string;
  readonly value: string;
}

/** The variable a caller reads an upstream's address from: the link's `env`, else `<SERVICE>_URL`. */
export function upstreamEnvName(link: UpstreamLink): string {
  return link.env ?? `${link.service.toUpperCase()}_URL`;
}

/**
 * The upstream addresses of one deployed service: each points at the outbound listener of its own
 * sidecar on loopback (the sidecar adds mTLS, retries and the breaker). Why one function: compose and
 * Kubernetes must set exactly the same names and values, or one deployment silently calls the default.
 */
export function upstreamEnv(topology: Topology, spec: ServiceSpec): UpstreamEnvVar[] {
  return spec.upstreams.map((link) => {
    const upstream = topology.services.find((candidate) => candidate.name === link.service);
    if (!upstream) throw new Error(`topology: unknown upstream ${link.service}`);
    return { name: upstreamEnvName(link), value: `http://127.0.0.1:${upstream.outboundPort}` };
  });
}
