import type { LinkPolicy, ServiceSpec, Topology } from "../topology-types.js";
import { http2ProtocolOptions, type Json, socketAddress } from "./common.js";
import { upstreamTls } from "./tls.js";

/** Cluster names are the only link between listeners' routes and clusters; keep them in one place. */
export const clusterNames = {
  local: "local_service",
  admin: "envoy_admin",
  otlp: "otel_collector",
  upstream: (service: string) => `upstream_${service}`,
} as const;

function grpcHealthCheck(policy: LinkPolicy, grpcService: string, authority: string): Json {
  return {
    timeout: policy.healthCheck.timeout,
    interval: policy.healthCheck.interval,
    unhealthy_threshold: policy.healthCheck.unhealthyThreshold,
    healthy_threshold: policy.healthCheck.healthyThreshold,
    grpc_health_check: { service_name: grpcService, authority },
  };
}

function staticCluster(name: string, address: string, port: number, connectTimeout: string): Json {
  return {
    name,
    type: "STATIC",
    connect_timeout: connectTimeout,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address, port) } }] }],
    },
  };
}

/**
 * The process next to this sidecar, over plain h2c on loopback. Health-checked on grpc.health.v1 so the
 * sidecar stops taking traffic (and `/ready` of peers' checks fail) as soon as the service reports
 * NOT_SERVING during shutdown.
 */
export function localServiceCluster(topology: Topology, spec: ServiceSpec, grpcService: string): Json {
  return {
    ...staticCluster(clusterNames.local, "127.0.0.1", spec.port, topology.defaults.connectTimeout),
    typed_extension_protocol_options: http2ProtocolOptions(),
    health_checks: [grpcHealthCheck(topology.defaults, grpcService, spec.name)],
  };
}

/** Envoy's own admin, reachable only through the stats listener's two allow-listed paths. */
export function adminCluster(topology: Topology): Json {
  return staticCluster(
    clusterNames.admin,
    "127.0.0.1",
    topology.sidecar.admin,
    topology.defaults.connectTimeout,
  );
}

/** The OpenTelemetry collector that receives the sidecar's spans (OTLP over gRPC). */
export function otlpCluster(topology: Topology): Json {
  return {
    name: clusterNames.otlp,
    type: "STRICT_DNS",
    connect_timeout: topology.defaults.connectTimeout,
    dns_lookup_family: "V4_ONLY",
    typed_extension_protocol_options: http2ProtocolOptions(),
    load_assignment: {
      cluster_name: clusterNames.otlp,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: socketAddress(topology.otlp.host, topology.otlp.port) } }] },
      ],
    },
  };
}

/**
 * An upstream's sidecar, reached by its service name (a compose network alias, a Kubernetes Service)
 * over mTLS and HTTP/2, with the link's breaker thresholds, passive outlier ejection and active
 * grpc.health.v1 checks, so traffic leaves a failing replica before callers see many errors.
 */
export function upstreamCluster(
  topology: Topology,
  self: ServiceSpec,
  upstream: string,
  policy: LinkPolicy,
  grpcService: string,
): Json {
  const name = clusterNames.upstream(upstream);
  const outlier = policy.outlierDetection;
  return {
    name,
    type: "STRICT_DNS",
    connect_timeout: policy.connectTimeout,
    dns_lookup_family: "V4_ONLY",
    lb_policy: "LEAST_REQUEST",
    typed_extension_protocol_options: http2ProtocolOptions(),
    transport_socket: upstreamTls(topology.certDir, self.name, upstream),
    load_assignment: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: socketAddress(upstream, topology.sidecar.inbound) } }] },
      ],
    },
    circuit_breakers: {
      thresholds: [
        {
          priority: "DEFAULT",
          max_connections: policy.circuitBreaker.maxConnections,
          max_pending_requests: policy.circuitBreaker.maxPendingRequests,
          max_requests: policy.circuitBreaker.maxRequests,
          max_retries: policy.circuitBreaker.maxRetries,
        },
      ],
    },
    outlier_detection: {
      consecutive_5xx: outlier.consecutive5xx,
      consecutive_gateway_failure: outlier.consecutiveGatewayFailure,
      interval: outlier.interval,
      base_ejection_time: outlier.baseEjectionTime,
      max_ejection_percent: outlier.maxEjectionPercent,
    },
    health_checks: [grpcHealthCheck(policy, grpcService, upstream)],
  };
}
