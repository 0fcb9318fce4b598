import type { Topology, UpstreamLink } from "./src/topology-types.js";

/**
 * How every service but user reaches the user service: its token verifier fetches the public keys
 * (GetPublicKeys, a NO_SIDE_EFFECTS read, so the sidecar retries it) from `USER_SERVICE_URL`, the
 * platform's `authServiceEnv` name. The cap matches the verifier's own two-second key-fetch deadline;
 * short tries leave room for two retries within it when one user replica is slow or gone.
 */
const tokenKeys: UpstreamLink = {
  service: "user",
  env: "USER_SERVICE_URL",
  timeout: "2s",
  retry: { perTryTimeout: "0.5s" },
};

/**
 * The mesh's single source of truth. `npm run mesh:generate` turns it into every Envoy sidecar config
 * (mesh/envoy/), the Kubernetes manifests (mesh/k8s/) and the port/URL facts docker-compose.yml
 * follows; `npm run mesh:check` fails when a committed file no longer matches it.
 *
 * Ports follow ARCHITECTURE §2. Outbound listener ports are 15000 + (service port - 8000), so a caller
 * reaches product at http://127.0.0.1:15002 through its own sidecar wherever it is deployed.
 */
export const topology: Topology = {
  sidecar: { inbound: 15443, admin: 9901, stats: 15090 },
  certDir: "/etc/envoy/certs",
  otlp: { host: "otel-collector", port: 4317 },
  defaults: {
    // Reads answer in milliseconds; the cap is generous for writes that touch a database.
    timeout: "5s",
    connectTimeout: "1s",
    retry: {
      // Only failures where the request certainly or very probably never ran are retried, and only on
      // routes of methods whose proto says NO_SIDE_EFFECTS or IDEMPOTENT (the generator enforces that).
      retryOn: ["unavailable", "reset", "connect-failure", "refused-stream"],
      numRetries: 2,
      perTryTimeout: "1.5s",
      backoff: { baseInterval: "0.025s", maxInterval: "0.25s" },
    },
    circuitBreaker: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 2048, maxRetries: 16 },
    outlierDetection: {
      consecutive5xx: 5,
      consecutiveGatewayFailure: 3,
      interval: "5s",
      baseEjectionTime: "15s",
      maxEjectionPercent: 50,
    },
    healthCheck: { interval: "5s", timeout: "1s", unhealthyThreshold: 2, healthyThreshold: 1 },
  },
  services: [
    {
      name: "user",
      port: 8001,
      metricsPort: 9101,
      protoPackage: "shop.user.v1",
      outboundPort: 15001,
      meshInbound: true,
      stores: ["postgres", "nats"],
      upstreams: [],
      replicas: 2,
    },
    {
      name: "product",
      port: 8002,
      metricsPort: 9102,
      protoPackage: "shop.product.v1",
      outboundPort: 15002,
      meshInbound: true,
      stores: ["postgres", "nats"],
      upstreams: [tokenKeys],
      replicas: 2,
    },
    {
      name: "order",
      port: 8003,
      metricsPort: 9103,
      protoPackage: "shop.order.v1",
      outboundPort: 15003,
      meshInbound: true,
      stores: ["mongo", "nats"],
      upstreams: [
        { service: "cart", timeout: "2s" },
        { service: "product", timeout: "2s" },
        // Reserve/commit/release are idempotent by reservation id; the saga has its own step timeout.
        { service: "inventory", timeout: "3s" },
        // A charge goes to the (fake) provider: give it longer and never retry it more than once.
        { service: "payment", timeout: "10s", retry: { numRetries: 1, perTryTimeout: "5s" } },
        tokenKeys,
      ],
      replicas: 2,
    },
    {
      name: "cart",
      port: 8004,
      metricsPort: 9104,
      protoPackage: "shop.cart.v1",
      outboundPort: 15004,
      meshInbound: true,
      stores: ["redis"],
      upstreams: [{ service: "product", timeout: "1s", retry: { perTryTimeout: "0.3s" } }, tokenKeys],
      replicas: 2,
    },
    {
      name: "payment",
      port: 8005,
      metricsPort: 9105,
      protoPackage: "shop.payment.v1",
      outboundPort: 15005,
      meshInbound: true,
      stores: ["postgres", "nats"],
      upstreams: [tokenKeys],
      replicas: 2,
    },
    {
      name: "inventory",
      port: 8006,
      metricsPort: 9106,
      protoPackage: "shop.inventory.v1",
      outboundPort: 15006,
      meshInbound: true,
      stores: ["postgres", "nats"],
      upstreams: [
        // SetStock's product-exists check (GetProduct, a read), under inventory's 1 s PRODUCT_TIMEOUT_MS.
        { service: "product", timeout: "1s", retry: { perTryTimeout: "0.3s" } },
        tokenKeys,
      ],
      replicas: 2,
    },
    {
      name: "notification",
      port: 8007,
      metricsPort: 9107,
      protoPackage: "shop.notification.v1",
      outboundPort: 15007,
      meshInbound: true,
      stores: ["postgres", "nats"],
      upstreams: [tokenKeys],
      replicas: 1,
    },
    {
      name: "edge",
      port: 8080,
      metricsPort: 8080,
      outboundPort: 15080,
      meshInbound: false,
      stores: ["redis"],
      upstreams: [
        { service: "user" },
        { service: "product" },
        { service: "order", timeout: "10s" },
        { service: "cart" },
        { service: "payment" },
        { service: "inventory" },
        { service: "notification" },
      ],
      replicas: 2,
    },
  ],
};
