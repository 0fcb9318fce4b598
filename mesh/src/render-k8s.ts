import type { Json } from "./envoy/common.js";
import type { ServiceSpec, Topology } from "./topology-types.js";
import { upstreamEnv } from "./upstream-env.js";

const envoyImage = "envoyproxy/envoy:v1.31.2";
const appImage = "shop-mesh:latest";

function labels(spec: ServiceSpec): Json {
  return { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/part-of": "shop-mesh" };
}

function env(topology: Topology, spec: ServiceSpec): Json[] {
  const secret = (name: string, key: string): Json => ({
    name,
    valueFrom: { secretKeyRef: { name: "shop-secrets", key } },
  });
  const list: Json[] = [
    { name: "PORT", value: String(spec.port) },
    { name: "OTEL_SERVICE_NAME", value: spec.name },
  ];
  if (spec.metricsPort !== spec.port) list.push({ name: "METRICS_PORT", value: String(spec.metricsPort) });
  if (spec.stores.includes("postgres") || spec.stores.includes("mongo"))
    list.push(secret("DATABASE_URL", `${spec.name}-database-url`));
  if (spec.stores.includes("mongo")) list.push(secret("MONGO_URL", `${spec.name}-mongo-url`));
  for (const variable of upstreamEnv(topology, spec)) list.push({ ...variable });
  return list;
}

function deployment(topology: Topology, spec: ServiceSpec): Json {
  const grpcProbe = (initialDelaySeconds: number, periodSeconds: number): Json =>
    spec.name === "edge"
      ? { httpGet: { path: "/healthz", port: spec.port }, initialDelaySeconds, periodSeconds }
      : { grpc: { port: spec.port }, initialDelaySeconds, periodSeconds };
  const appPorts: Json[] = [{ name: spec.name === "edge" ? "http" : "grpc", containerPort: spec.port }];
  if (spec.metricsPort !== spec.port) appPorts.push({ name: "metrics", containerPort: spec.metricsPort });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: spec.name, labels: labels(spec) },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: labels(spec) },
      template: {
        metadata: {
          labels: labels(spec),
          annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(spec.metricsPort) },
        },
        spec: {
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: spec.name,
              image: appImage,
              env: [{ name: "SERVICE", value: spec.name }, ...env(topology, spec)],
              envFrom: [{ configMapRef: { name: "shop-config" } }],
              ports: appPorts,
              readinessProbe: grpcProbe(2, 5),
              livenessProbe: grpcProbe(15, 10),
              resources: { requests: { cpu: "100m", memory: "192Mi" }, limits: { memory: "512Mi" } },
              securityContext: {
                runAsUser: 1000,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
            {
              name: "envoy",
              image: envoyImage,
              args: ["-c", "/etc/envoy/envoy.json"],
              ports: [
                ...(spec.meshInbound ? [{ name: "mesh", containerPort: topology.sidecar.inbound }] : []),
                { name: "envoy-stats", containerPort: topology.sidecar.stats },
              ],
              readinessProbe: { httpGet: { path: "/ready", port: topology.sidecar.stats }, periodSeconds: 5 },
              livenessProbe: {
                tcpSocket: { port: topology.sidecar.stats },
                initialDelaySeconds: 10,
                periodSeconds: 10,
              },
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: {
                runAsUser: 101,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
              },
              volumeMounts: [
                {
                  name: "envoy-config",
                  mountPath: "/etc/envoy/envoy.json",
                  subPath: "envoy.json",
                  readOnly: true,
                },
                { name: "mesh-certs", mountPath: topology.certDir, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: "tmp", emptyDir: {} },
            { name: "envoy-config", configMap: { name: `${spec.name}-envoy` } },
            { name: "mesh-certs", secret: { secretName: `${spec.name}-mesh-certs` } },
          ],
        },
      },
    },
  };
}

function service(topology: Topology, spec: ServiceSpec): Json {
  const ports: Json[] = [];
  if (spec.meshInbound) ports.push({ name: "mesh", port: topology.sidecar.inbound, targetPort: "mesh" });
  if (spec.name === "edge") ports.push({ name: "http", port: spec.port, targetPort: "http" });
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: spec.name, labels: labels(spec) },
    spec: { selector: labels(spec), ports },
  };
}

function disruptionBudget(spec: ServiceSpec): Json {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: spec.name, labels: labels(spec) },
    spec: { minAvailable: 1, selector: { matchLabels: labels(spec) } },
  };
}

function envoyConfigMap(spec: ServiceSpec, envoyJson: string): Json {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${spec.name}-envoy`, labels: labels(spec) },
    data: { "envoy.json": envoyJson },
  };
}

function sharedConfig(): Json {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "shop-config", labels: { "app.kubernetes.io/part-of": "shop-mesh" } },
    data: {
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "10s",
      // The sidecars retry idempotent methods; the services' own clients must not retry as well.
      UPSTREAM_RETRY_ATTEMPTS: "1",
      NATS_URL: "nats://nats:4222",
      REDIS_URL: "redis://redis:6379",
      // Services export OTLP over HTTP (4318); the Envoy sidecars use OTLP/gRPC on 4317.
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector:4318",
    },
  };
}

/**
 * Kubernetes manifests (JSON, which kubectl and kustomize accept) for the base: per service a
 * Deployment with the Envoy sidecar (gRPC probes on grpc.health.v1), a Service onto the sidecar's mTLS
 * port, a PodDisruptionBudget and the generated Envoy config as a ConfigMap. Derived from the same
 * topology and Envoy files as compose, so the two deployments cannot drift apart.
 */
export function renderKubernetes(topology: Topology, envoyConfigs: Map<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const resources: string[] = ["shop-config.json"];
  files.set("k8s/base/shop-config.json", text(sharedConfig()));
  for (const spec of topology.services) {
    const envoyJson = envoyConfigs.get(`envoy/${spec.name}.json`);
    if (!envoyJson) throw new Error(`no Envoy config rendered for ${spec.name}`);
    const items = [
      deployment(topology, spec),
      service(topology, spec),
      disruptionBudget(spec),
      envoyConfigMap(spec, envoyJson),
    ];
    const file = `${spec.name}.json`;
    files.set(`k8s/base/${file}`, text({ apiVersion: "v1", kind: "List", items }));
    resources.push(file);
  }
  files.set(
    "k8s/base/kustomization.yaml",
    [
      "# GENERATED by `npm run mesh:generate` from mesh/topology.ts.",
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      "labels:",
      "  - pairs:",
      "      app.kubernetes.io/managed-by: kustomize",
      "resources:",
      ...resources.map((file) => `  - ${file}`),
      "",
    ].join("\n"),
  );
  return files;
}
