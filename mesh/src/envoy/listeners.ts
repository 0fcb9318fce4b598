import type { GrpcMethod } from "../grpc-methods.js";
import type { LinkPolicy, ServiceSpec, Topology } from "../topology-types.js";
import { clusterNames } from "./clusters.js";
import { type Json, socketAddress, stdoutAccessLog, typed } from "./common.js";
import { downstreamTls } from "./tls.js";

interface ConnectionManagerOptions {
  statPrefix: string;
  direction: "inbound" | "outbound" | "stats";
  routes: Json[];
  serviceName: string;
  tracing: boolean;
}

/**
 * An HTTP connection manager with gRPC per-method stats, the router, JSON access logs and (for traffic
 * listeners) OpenTelemetry spans that join the W3C `traceparent` the services propagate.
 */
function connectionManager(options: ConnectionManagerOptions): Json {
  const filters: Json[] = [];
  if (options.direction !== "stats") {
    filters.push({
      name: "envoy.filters.http.grpc_stats",
      typed_config: typed("envoy.extensions.filters.http.grpc_stats.v3.FilterConfig", {
        stats_for_all_methods: true,
        enable_upstream_stats: true,
      }),
    });
  }
  filters.push({
    name: "envoy.filters.http.router",
    typed_config: typed("envoy.extensions.filters.http.router.v3.Router"),
  });
  const manager: Json = {
    stat_prefix: options.statPrefix,
    codec_type: "AUTO",
    use_remote_address: false,
    generate_request_id: true,
    access_log: options.direction === "stats" ? [] : stdoutAccessLog(options.direction),
    http2_protocol_options: { max_concurrent_streams: 1024 },
    common_http_protocol_options: { idle_timeout: "300s" },
    route_config: {
      name: `${options.statPrefix}_routes`,
      virtual_hosts: [{ name: options.statPrefix, domains: ["*"], routes: options.routes }],
    },
    http_filters: filters,
  };
  if (options.tracing) {
    manager.tracing = {
      provider: {
        name: "envoy.tracers.opentelemetry",
        typed_config: typed("envoy.config.trace.v3.OpenTelemetryConfig", {
          grpc_service: { envoy_grpc: { cluster_name: clusterNames.otlp }, timeout: "0.25s" },
          service_name: `${options.serviceName}-sidecar`,
        }),
      },
    };
  }
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: typed(
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      manager,
    ),
  };
}

/**
 * Where other sidecars connect: mTLS that admits only declared callers, then everything to the local
 * process. No retries here: the caller's sidecar owns retries (one retry layer per call).
 */
export function inboundListener(
  topology: Topology,
  spec: ServiceSpec,
  callers: readonly string[],
  timeout: string,
): Json {
  return {
    name: "inbound",
    address: socketAddress("0.0.0.0", topology.sidecar.inbound),
    filter_chains: [
      {
        transport_socket: downstreamTls(topology.certDir, spec.name, callers),
        filters: [
          connectionManager({
            statPrefix: "inbound",
            direction: "inbound",
            serviceName: spec.name,
            tracing: true,
            routes: [
              {
                match: { prefix: "/" },
                route: {
                  cluster: clusterNames.local,
                  timeout,
                  max_stream_duration: { grpc_timeout_header_max: timeout },
                },
              },
            ],
          }),
        ],
      },
    ],
  };
}

/**
 * A route per RPC, so retries apply exactly to the methods whose contract says they are safe to repeat,
 * and a catch-all without retries for everything else (health, reflection, methods added later).
 * Exact path matches, not prefixes: `/pkg.Svc/Get` must not also match `/pkg.Svc/GetAndDelete`.
 */
export function methodRoutes(cluster: string, methods: readonly GrpcMethod[], policy: LinkPolicy): Json[] {
  const action = (): Json => ({
    cluster,
    timeout: policy.timeout,
    // A caller's grpc-timeout header tightens the deadline, never loosens it past the link's cap.
    max_stream_duration: { grpc_timeout_header_max: policy.timeout },
  });
  const routes: Json[] = methods.map((method) => {
    const route = action();
    if (method.retryable) {
      route.retry_policy = {
        retry_on: policy.retry.retryOn.join(","),
        num_retries: policy.retry.numRetries,
        per_try_timeout: policy.retry.perTryTimeout,
        retry_back_off: {
          base_interval: policy.retry.backoff.baseInterval,
          max_interval: policy.retry.backoff.maxInterval,
        },
      };
    }
    return { name: method.path.slice(1), match: { path: method.path }, route };
  });
  routes.push({ name: "default", match: { prefix: "/" }, route: action() });
  return routes;
}

/**
 * The local port a service's `<UPSTREAM>_URL` points at when deployed: plain h2c on loopback in, mTLS
 * to the upstream's sidecar out. Only loopback: nothing outside the pod or netns can use our identity.
 */
export function outboundListener(spec: ServiceSpec, upstream: ServiceSpec, routes: Json[]): Json {
  return {
    name: `outbound_${upstream.name}`,
    address: socketAddress("127.0.0.1", upstream.outboundPort),
    filter_chains: [
      {
        filters: [
          connectionManager({
            statPrefix: `outbound_${upstream.name}`,
            direction: "outbound",
            serviceName: spec.name,
            tracing: true,
            routes,
          }),
        ],
      },
    ],
  };
}

/**
 * Prometheus and orchestrators need `/stats/prometheus` and `/ready` from outside the netns, but the
 * admin API (which can drain listeners or quit the process) stays on loopback: this listener proxies
 * exactly those two paths and answers 404 to anything else.
 */
export function statsListener(topology: Topology): Json {
  const allow = (path: string): Json => ({ match: { path }, route: { cluster: clusterNames.admin } });
  return {
    name: "stats",
    address: socketAddress("0.0.0.0", topology.sidecar.stats),
    filter_chains: [
      {
        filters: [
          connectionManager({
            statPrefix: "stats",
            direction: "stats",
            serviceName: "stats",
            tracing: false,
            routes: [
              allow("/stats/prometheus"),
              allow("/ready"),
              { match: { prefix: "/" }, direct_response: { status: 404 } },
            ],
          }),
        ],
      },
    ],
  };
}
