import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderMeshFiles } from "./src/mesh-files.js";
import { meshDir } from "./src/render-mesh.js";
import { topology } from "./topology.js";

// Writes every generated mesh file from mesh/topology.ts: `node --import tsx mesh/generate.ts`.
const files = renderMeshFiles(topology);
for (const [relative, content] of files) {
  const file = path.join(meshDir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}
console.log(`mesh: wrote ${files.size} files under ${path.relative(process.cwd(), meshDir) || "."}`);
