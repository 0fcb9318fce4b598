/**
 * The shape of the mesh's single source of truth (`mesh/topology.ts`). Everything deployed — Envoy
 * sidecars, docker-compose wiring, Kubernetes manifests — is derived from one value of this type, so a
 * port or a policy is written down exactly once.
 */

/** A duration the way Envoy's JSON mapping spells `google.protobuf.Duration`: "0.25s", "2s". */
export type EnvoyDuration = `${number}s`;

/** Which failures make Envoy try a call again (gRPC and connection-level conditions only). */
export type RetryCondition = "unavailable" | "reset" | "connect-failure" | "refused-stream";

export interface RetryPolicy {
  /** Conditions that trigger a retry; never `deadline-exceeded` (the caller's budget is spent). */
  retryOn: readonly RetryCondition[];
  /** Retries after the first attempt. */
  numRetries: number;
  /** Deadline of each attempt; the route timeout still bounds the whole call. */
  perTryTimeout: EnvoyDuration;
  /** Exponential backoff with Envoy's built-in full jitter. */
  backoff: { baseInterval: EnvoyDuration; maxInterval: EnvoyDuration };
}

/** Envoy's per-cluster circuit breaker thresholds (DEFAULT priority). */
export interface CircuitBreakerPolicy {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

/** Passive health: hosts that keep failing are ejected from the load-balancing set for a while. */
export interface OutlierDetectionPolicy {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  interval: EnvoyDuration;
  baseEjectionTime: EnvoyDuration;
  maxEjectionPercent: number;
}

/** Active health: Envoy asks grpc.health.v1 on every upstream host. */
export interface HealthCheckPolicy {
  interval: EnvoyDuration;
  timeout: EnvoyDuration;
  unhealthyThreshold: number;
  healthyThreshold: number;
}

/** The policy applied to one caller → upstream link; every field can be overridden per link. */
export interface LinkPolicy {
  /** Whole-call timeout of the route (the caller's own gRPC deadline is honoured below this cap). */
  timeout: EnvoyDuration;
  connectTimeout: EnvoyDuration;
  retry: RetryPolicy;
  circuitBreaker: CircuitBreakerPolicy;
  outlierDetection: OutlierDetectionPolicy;
  healthCheck: HealthCheckPolicy;
}

/** One upstream a service calls, with optional overrides of the default link policy. */
export interface UpstreamLink {
  service: string;
  /**
   * The variable the caller reads this upstream's address from; `<SERVICE>_URL` when absent. Why a
   * field: the token verifiers read `USER_SERVICE_URL` (the platform's `authServiceEnv`), and the
   * deployment files must set the name the code reads, not a name derived by convention.
   */
  env?: string;
  timeout?: EnvoyDuration;
  retry?: Partial<RetryPolicy>;
  circuitBreaker?: Partial<CircuitBreakerPolicy>;
}

export interface ServiceSpec {
  /** Lower-case service name: compose service, Kubernetes Deployment, certificate SAN. */
  name: string;
  /** Port the process listens on (gRPC h2c; HTTP/1.1 REST for the edge). */
  port: number;
  /** Prometheus `/metrics` port of the process. */
  metricsPort: number;
  /** Protobuf package whose services this process serves (absent for the edge). */
  protoPackage?: string;
  /**
   * Local port of the outbound listener that callers' sidecars open for this service. The same on
   * every caller, so `<NAME>_URL=http://127.0.0.1:<outboundPort>` is one value across the mesh.
   */
  outboundPort: number;
  /** Whether the process is exposed to other sidecars over mTLS (false for the public edge). */
  meshInbound: boolean;
  /** Store-related environment the process needs; the deployment files fill in the values. */
  stores: readonly ("postgres" | "mongo" | "redis" | "nats")[];
  upstreams: readonly UpstreamLink[];
  /** Kubernetes replicas; the PodDisruptionBudget keeps at least one. */
  replicas: number;
}

export interface SidecarPorts {
  /** mTLS listener other sidecars connect to. */
  inbound: number;
  /** Envoy admin, bound to 127.0.0.1 only. */
  admin: number;
  /** Plain HTTP listener exposing only `/stats/prometheus` and `/ready` of the admin. */
  stats: number;
}

export interface Topology {
  sidecar: SidecarPorts;
  /** Where the sidecars' certificates are mounted (ca.crt, <name>.crt, <name>.key). */
  certDir: string;
  /** OTLP/gRPC collector the sidecars export spans to. */
  otlp: { host: string; port: number };
  defaults: LinkPolicy;
  services: readonly ServiceSpec[];
}
