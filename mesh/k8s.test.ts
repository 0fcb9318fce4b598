import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { meshDir } from "./src/render-mesh.js";
import { topology } from "./topology.js";

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked as untyped JSON; a wrong shape fails the assertions.
type Json = Record<string, any>;

const baseDir = path.join(meshDir, "k8s", "base");
const manifests: Json[] = readdirSync(baseDir)
  .filter((file) => file.endsWith(".json"))
  .flatMap((file) => {
    const doc = JSON.parse(readFileSync(path.join(baseDir, file), "utf8")) as Json;
    return doc.kind === "List" ? (doc.items as Json[]) : [doc];
  });

const knownKinds: Record<string, string> = {
  Deployment: "apps/v1",
  Service: "v1",
  PodDisruptionBudget: "policy/v1",
  ConfigMap: "v1",
};

function ofKind(kind: string): Json[] {
  return manifests.filter((item) => item.kind === kind);
}

function matches(selector: Json, podLabels: Json): boolean {
  return Object.entries(selector).every(([key, value]) => podLabels[key] === value);
}

function containerPorts(deployment: Json): Map<string | number, number> {
  const ports = new Map<string | number, number>();
  for (const container of deployment.spec.template.spec.containers as Json[]) {
    for (const port of (container.ports ?? []) as Json[]) {
      ports.set(port.containerPort, port.containerPort);
      if (port.name) ports.set(port.name, port.containerPort);
    }
  }
  return ports;
}

describe("Kubernetes manifests", () => {
  test("every manifest has a known kind, its apiVersion, and a DNS-1123 name", () => {
    assert.ok(manifests.length > 0);
    for (const item of manifests) {
      assert.equal(item.apiVersion, knownKinds[item.kind], `${item.kind} ${item.metadata?.name}`);
      assert.match(item.metadata?.name ?? "", /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  test("each topology service has a Deployment, Service, PodDisruptionBudget and Envoy ConfigMap", () => {
    for (const spec of topology.services) {
      for (const kind of ["Deployment", "Service", "PodDisruptionBudget"]) {
        assert.ok(
          ofKind(kind).some((item) => item.metadata.name === spec.name),
          `${kind} ${spec.name}`,
        );
      }
      const configMap = ofKind("ConfigMap").find((item) => item.metadata.name === `${spec.name}-envoy`);
      assert.equal(
        configMap?.data["envoy.json"],
        readFileSync(path.join(meshDir, "envoy", `${spec.name}.json`), "utf8"),
      );
    }
  });

  test("every probe targets a port that a container of the pod declares; services probe grpc.health.v1", () => {
    for (const deployment of ofKind("Deployment")) {
      const ports = containerPorts(deployment);
      for (const container of deployment.spec.template.spec.containers as Json[]) {
        for (const probeName of ["readinessProbe", "livenessProbe"]) {
          const probe = container[probeName] as Json;
          assert.ok(probe, `${deployment.metadata.name}/${container.name} lacks ${probeName}`);
          const port = probe.grpc?.port ?? probe.httpGet?.port ?? probe.tcpSocket?.port;
          assert.ok(
            ports.has(port),
            `${deployment.metadata.name}/${container.name} ${probeName} port ${port}`,
          );
        }
      }
      const app = deployment.spec.template.spec.containers[0] as Json;
      if (deployment.metadata.name !== "edge") assert.ok(app.readinessProbe.grpc, deployment.metadata.name);
    }
  });

  test("every Service and PodDisruptionBudget selects exactly one Deployment, and targets declared ports", () => {
    const deployments = ofKind("Deployment");
    for (const item of [...ofKind("Service"), ...ofKind("PodDisruptionBudget")]) {
      const selector = item.kind === "Service" ? item.spec.selector : item.spec.selector.matchLabels;
      const selected = deployments.filter((deployment) =>
        matches(selector, deployment.spec.template.metadata.labels),
      );
      assert.equal(selected.length, 1, `${item.kind} ${item.metadata.name}`);
      if (item.kind === "Service") {
        const ports = containerPorts(selected[0] as Json);
        for (const port of item.spec.ports as Json[])
          assert.ok(ports.has(port.targetPort), `${item.metadata.name} ${port.targetPort}`);
      }
    }
    for (const deployment of deployments) {
      assert.ok(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels));
    }
  });

  test("every volume, ConfigMap and Secret reference resolves", () => {
    const configMaps = new Set(ofKind("ConfigMap").map((item) => item.metadata.name));
    const overlay = readFileSync(path.join(meshDir, "k8s", "overlays", "dev", "kustomization.yaml"), "utf8");
    for (const deployment of ofKind("Deployment")) {
      const pod = deployment.spec.template.spec;
      const volumes = new Set((pod.volumes as Json[]).map((volume) => volume.name));
      for (const volume of pod.volumes as Json[]) {
        if (volume.configMap) assert.ok(configMaps.has(volume.configMap.name), volume.configMap.name);
        if (volume.secret) assert.match(overlay, new RegExp(`- name: ${volume.secret.secretName}\\n`));
      }
      for (const container of pod.containers as Json[]) {
        for (const mount of (container.volumeMounts ?? []) as Json[])
          assert.ok(volumes.has(mount.name), mount.name);
        for (const source of (container.envFrom ?? []) as Json[])
          assert.ok(configMaps.has(source.configMapRef.name));
        for (const variable of (container.env ?? []) as Json[]) {
          const key = variable.valueFrom?.secretKeyRef?.key;
          if (key)
            assert.match(overlay, new RegExp(`- ${key}=`), `${deployment.metadata.name}: secret key ${key}`);
        }
      }
    }
  });

  test("the base kustomization lists every manifest file", () => {
    const kustomization = readFileSync(path.join(baseDir, "kustomization.yaml"), "utf8");
    for (const file of readdirSync(baseDir).filter((name) => name.endsWith(".json"))) {
      assert.ok(kustomization.includes(`  - ${file}\n`), file);
    }
  });
});
