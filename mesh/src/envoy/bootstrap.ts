import type { GrpcMethod } from "../grpc-methods.js";
import { resolveLinkPolicy } from "../link-policy.js";
import type { ServiceSpec, Topology } from "../topology-types.js";
import { adminCluster, clusterNames, localServiceCluster, otlpCluster, upstreamCluster } from "./clusters.js";
import type { Json } from "./common.js";
import { inboundListener, methodRoutes, outboundListener, statsListener } from "./listeners.js";

/** Looks up the RPCs of a protobuf package (see grpc-methods.ts). */
export type MethodLookup = (protoPackage: string) => GrpcMethod[];

function findService(topology: Topology, name: string): ServiceSpec {
  const spec = topology.services.find((candidate) => candidate.name === name);
  if (!spec) throw new Error(`topology: unknown service "${name}"`);
  return spec;
}

function primaryGrpcService(spec: ServiceSpec, methods: MethodLookup): string {
  if (!spec.protoPackage) throw new Error(`topology: ${spec.name} is an upstream but has no protoPackage`);
  const first = methods(spec.protoPackage)[0];
  if (!first) throw new Error(`topology: no RPCs for ${spec.name}`);
  return first.service;
}

/** Services whose upstream list names `name`: the only peers its inbound mTLS listener admits. */
export function callersOf(topology: Topology, name: string): string[] {
  return topology.services
    .filter((spec) => spec.upstreams.some((link) => link.service === name))
    .map((spec) => spec.name)
    .sort();
}

/**
 * The complete static Envoy bootstrap of one service's sidecar.
 *
 * Why static: the mesh is small and its shape is known at build time, so a reviewed, schema-checked
 * file per sidecar beats running a control plane; a change to the topology is a change to these files
 * that shows up in code review.
 */
export function buildSidecarBootstrap(topology: Topology, name: string, methods: MethodLookup): Json {
  const spec = findService(topology, name);
  const listeners: Json[] = [];
  const clusters: Json[] = [];

  if (spec.meshInbound) {
    const grpcService = primaryGrpcService(spec, methods);
    const callers = callersOf(topology, spec.name);
    // The inbound cap is the longest any caller allows, so the callers' own caps decide.
    const caps = topology.services.flatMap((caller) =>
      caller.upstreams
        .filter((link) => link.service === spec.name)
        .map((link) => resolveLinkPolicy(topology, link)),
    );
    const timeout = caps
      .map((policy) => policy.timeout)
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))[0];
    listeners.push(inboundListener(topology, spec, callers, timeout ?? topology.defaults.timeout));
    clusters.push(localServiceCluster(topology, spec, grpcService));
  }

  for (const link of spec.upstreams) {
    const upstream = findService(topology, link.service);
    if (!upstream.protoPackage) throw new Error(`topology: ${upstream.name} cannot be an upstream`);
    const policy = resolveLinkPolicy(topology, link);
    const cluster = clusterNames.upstream(upstream.name);
    const rpcs = methods(upstream.protoPackage);
    listeners.push(outboundListener(spec, upstream, methodRoutes(cluster, rpcs, policy)));
    clusters.push(
      upstreamCluster(topology, spec, upstream.name, policy, primaryGrpcService(upstream, methods)),
    );
  }

  listeners.push(statsListener(topology));
  clusters.push(adminCluster(topology), otlpCluster(topology));

  return {
    node: { id: `${spec.name}-sidecar`, cluster: spec.name },
    admin: {
      address: { socket_address: { address: "127.0.0.1", port_value: topology.sidecar.admin } },
    },
    static_resources: { listeners, clusters },
  };
}
