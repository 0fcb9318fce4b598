import { findStaleFiles, renderMeshFiles } from "./src/mesh-files.js";
import { topology } from "./topology.js";

// CI gate: fails when a committed generated file differs from what mesh/topology.ts produces.
const stale = findStaleFiles(renderMeshFiles(topology));
if (stale.length > 0) {
  console.error(`mesh: ${stale.length} generated file(s) are stale; run npm run mesh:generate and commit:`);
  for (const file of stale) console.error(`  mesh/${file}`);
  process.exit(1);
}
console.log("mesh: generated files are up to date");
