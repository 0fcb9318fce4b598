import { readdirSync } from "node:fs";
import path from "node:path";
import { loadEnvoySchema } from "./src/envoy-schema.js";
import { meshDir } from "./src/render-mesh.js";
import { validateEnvoyFile } from "./src/validate-files.js";

// Validates Envoy configs against Envoy's API protos: every mesh/envoy/*.json, or the files given.
const args = process.argv.slice(2);
const files =
  args.length > 0
    ? args
    : readdirSync(path.join(meshDir, "envoy"))
        .filter((name) => name.endsWith(".json"))
        .sort()
        .map((name) => path.join(meshDir, "envoy", name));
const schema = loadEnvoySchema();
let failed = 0;
for (const file of files) {
  const problems = validateEnvoyFile(schema, file);
  const shown = path.relative(process.cwd(), file);
  if (problems.length === 0) {
    console.log(`ok    ${shown}`);
    continue;
  }
  failed++;
  for (const problem of problems) console.error(`FAIL  ${shown}: ${problem.path}: ${problem.message}`);
}
if (failed > 0) {
  console.error(`envoy: ${failed} of ${files.length} config(s) invalid`);
  process.exit(1);
}
console.log(`envoy: ${files.length} config(s) valid against envoy.config.bootstrap.v3.Bootstrap`);
