import type { LinkPolicy, Topology, UpstreamLink } from "./topology-types.js";

/**
 * The effective policy of one caller → upstream link: the topology's defaults with the link's own
 * overrides on top. Why a function: the Envoy configs, the docs and the tests must all agree on what a
 * link's timeout or retry budget is, so the merge rule lives in one place.
 */
export function resolveLinkPolicy(topology: Topology, link: UpstreamLink): LinkPolicy {
  const base = topology.defaults;
  return {
    ...base,
    timeout: link.timeout ?? base.timeout,
    retry: { ...base.retry, ...link.retry, backoff: { ...base.retry.backoff, ...link.retry?.backoff } },
    circuitBreaker: { ...base.circuitBreaker, ...link.circuitBreaker },
  };
}
