import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadGrpcMethods } from "./grpc-methods.js";
import { meshDir, renderDeploymentFiles } from "./render-mesh.js";
import type { Topology } from "./topology-types.js";

/** The committed descriptor set the per-method routes are derived from. */
export const descriptorSetPath = path.resolve(meshDir, "..", "gen", "descriptors.binpb");

/** Every generated file (path relative to mesh/ → content) for a topology. */
export function renderMeshFiles(topology: Topology): Map<string, string> {
  return renderDeploymentFiles(topology, loadGrpcMethods(descriptorSetPath));
}

/**
 * Generated files whose committed content differs from what the topology produces now. Why: a
 * hand-edited sidecar config or a proto change without regeneration must fail CI, not production.
 */
export function findStaleFiles(files: Map<string, string>, dir: string = meshDir): string[] {
  const stale: string[] = [];
  for (const [relative, content] of files) {
    const file = path.join(dir, relative);
    if (!existsSync(file) || readFileSync(file, "utf8") !== content) stale.push(relative);
  }
  return stale;
}
