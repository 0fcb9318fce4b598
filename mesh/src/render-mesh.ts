import path from "node:path";
import { buildSidecarBootstrap, type MethodLookup } from "./envoy/bootstrap.js";
import { renderCompose } from "./render-compose.js";
import { renderKubernetes } from "./render-k8s.js";
import type { Topology } from "./topology-types.js";

/** Directory of the repository's mesh/ folder; every generated path is relative to it. */
export const meshDir = path.resolve(import.meta.dirname, "..");

/** Deterministic JSON: two-space indent and a trailing newline, so reruns are byte-identical. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Every file the mesh generator owns (Envoy configs, docker-compose.yml), as path (relative to mesh/) → content. Why a pure function: the
 * generator writes it, and the staleness check compares it with what is committed, so both use the
 * exact same bytes.
 */
export function renderDeploymentFiles(topology: Topology, methods: MethodLookup): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of topology.services) {
    files.set(`envoy/${spec.name}.json`, toJsonText(buildSidecarBootstrap(topology, spec.name, methods)));
  }
  files.set("../docker-compose.yml", renderCompose(topology));
  for (const [file, content] of renderKubernetes(topology, files)) files.set(file, content);
  return files;
}
