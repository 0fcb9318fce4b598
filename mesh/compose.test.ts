import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { meshDir } from "./src/render-mesh.js";
import { topology } from "./topology.js";

const repo = path.resolve(meshDir, "..");
const composeFile = path.join(repo, "docker-compose.yml");
const hasDockerCompose = spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0;

describe("docker-compose.yml", () => {
  test("passes docker-compose config -q, with and without the observability profile", {
    skip: hasDockerCompose ? false : "docker-compose not installed (apt-get install -y docker-compose)",
  }, () => {
    execFileSync("docker-compose", ["-f", composeFile, "config", "-q"], { cwd: repo });
    const all = execFileSync(
      "docker-compose",
      ["-f", composeFile, "--profile", "observability", "config", "--services"],
      {
        cwd: repo,
        encoding: "utf8",
      },
    );
    for (const name of [
      "prometheus",
      "grafana",
      "otel-collector",
      "jaeger",
      "postgres",
      "mongo",
      "redis",
      "nats",
    ]) {
      assert.ok(all.split("\n").includes(name), `${name} missing from the full profile`);
    }
  });

  test("the observability stack is behind the observability profile; the default set is minimal", () => {
    const text = readFileSync(composeFile, "utf8");
    const block = (name: string) => text.split(`\n  ${name}:\n`)[1]?.split(/\n {2}\S/)[0] ?? "";
    for (const name of ["otel-collector", "jaeger", "prometheus", "grafana"]) {
      assert.match(block(name), /profiles: \[observability\]/, name);
    }
    for (const spec of topology.services) {
      assert.ok(block(spec.name).length > 0, spec.name);
      assert.doesNotMatch(block(spec.name), /profiles:/, `${spec.name} must run in the minimal set`);
    }
  });

  test("every service has its sidecar with its own generated config, and every mounted file exists", () => {
    const text = readFileSync(composeFile, "utf8");
    for (const spec of topology.services) {
      assert.match(text, new RegExp(`\\n  ${spec.name}-sidecar:\\n`), spec.name);
      assert.ok(text.includes(`./mesh/envoy/${spec.name}.json:/etc/envoy/envoy.json:ro`), spec.name);
      assert.ok(text.includes(`network_mode: "service:${spec.name}-sidecar"`), spec.name);
    }
    for (const match of text.matchAll(/- \.\/([^:]+):/g)) {
      assert.ok(existsSync(path.join(repo, match[1] ?? "")), `mounted file ${match[1]} does not exist`);
    }
  });
});
