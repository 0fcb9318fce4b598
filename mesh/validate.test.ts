import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { type EnvoySchema, loadEnvoySchema } from "./src/envoy-schema.js";
import { meshDir } from "./src/render-mesh.js";
import { validateEnvoyText } from "./src/validate-files.js";

type Json = Record<string, unknown>;

const envoyDir = path.join(meshDir, "envoy");
const configFiles = readdirSync(envoyDir).filter((name) => name.endsWith(".json"));

function committed(name: string): Json {
  return JSON.parse(readFileSync(path.join(envoyDir, name), "utf8")) as Json;
}

/** Follows a path like ["static_resources", "clusters", 0] and returns the object there. */
function at(root: Json, ...keys: (string | number)[]): Json {
  let node: unknown = root;
  for (const key of keys) node = (node as Record<string | number, unknown>)[key];
  assert.ok(node && typeof node === "object", `no object at ${keys.join(".")}`);
  return node as Json;
}

function firstUpstreamCluster(config: Json): { index: number; cluster: Json } {
  const clusters = at(config, "static_resources", "clusters") as unknown as Json[];
  const index = clusters.findIndex((cluster) => String(cluster.name).startsWith("upstream_"));
  assert.ok(index >= 0, "order has upstream clusters");
  return { index, cluster: clusters[index] as Json };
}

describe("Envoy config validation against Envoy's API protos", () => {
  let schema: EnvoySchema;
  before(() => {
    schema = loadEnvoySchema();
  });

  test("there is one committed config per topology service", () => {
    assert.ok(configFiles.length >= 8, `found ${configFiles.join(", ")}`);
  });

  for (const name of configFiles) {
    test(`${name} is a valid envoy.config.bootstrap.v3.Bootstrap`, () => {
      assert.deepEqual(validateEnvoyText(schema, readFileSync(path.join(envoyDir, name), "utf8")), []);
    });
  }

  test("a misspelled field fails with its path and a suggestion", () => {
    const config = committed("order.json");
    const { index, cluster } = firstUpstreamCluster(config);
    cluster.conect_timeout = cluster.connect_timeout;
    delete cluster.connect_timeout;
    const problems = validateEnvoyText(schema, JSON.stringify(config));
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0]?.path, `static_resources.clusters[${index}].conect_timeout`);
    assert.match(problems[0]?.message ?? "", /unknown field "conect_timeout".*connect_timeout/);
  });

  test("a misspelled field inside a typed_config (Any) fails too", () => {
    const config = committed("cart.json");
    const hcm = at(
      config,
      "static_resources",
      "listeners",
      0,
      "filter_chains",
      0,
      "filters",
      0,
      "typed_config",
    );
    hcm.stat_prefx = "oops";
    const problems = validateEnvoyText(schema, JSON.stringify(config));
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ["static_resources.listeners[0].filter_chains[0].filters[0].typed_config.stat_prefx"],
    );
  });

  test("lowerCamel JSON names are accepted like snake_case", () => {
    const config = committed("product.json");
    const { cluster } = firstCluster(config);
    cluster.connectTimeout = cluster.connect_timeout;
    delete cluster.connect_timeout;
    assert.deepEqual(validateEnvoyText(schema, JSON.stringify(config)), []);
  });

  test("a value that is not in the enum fails", () => {
    const config = committed("order.json");
    const { index, cluster } = firstUpstreamCluster(config);
    cluster.lb_policy = "LEAST_REQUESTS";
    const problems = validateEnvoyText(schema, JSON.stringify(config));
    assert.equal(problems[0]?.path, `static_resources.clusters[${index}].lb_policy`);
    assert.match(problems[0]?.message ?? "", /not a value of envoy\.config\.cluster\.v3\.Cluster\.LbPolicy/);
  });

  test("a duration without its unit fails", () => {
    const config = committed("order.json");
    const { index, cluster } = firstUpstreamCluster(config);
    cluster.connect_timeout = "250ms";
    const problems = validateEnvoyText(schema, JSON.stringify(config));
    assert.equal(problems[0]?.path, `static_resources.clusters[${index}].connect_timeout`);
    assert.match(problems[0]?.message ?? "", /duration/);
  });

  test("an unknown @type fails at the @type", () => {
    const config = committed("edge.json");
    const router = at(
      config,
      "static_resources",
      "listeners",
      0,
      "filter_chains",
      0,
      "filters",
      0,
      "typed_config",
      "http_filters",
      1,
      "typed_config",
    );
    router["@type"] = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr";
    const problems = validateEnvoyText(schema, JSON.stringify(config));
    assert.equal(
      problems[0]?.path,
      "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1].typed_config.@type",
    );
    assert.match(problems[0]?.message ?? "", /unknown type/);
  });

  test("two members of one oneof fail", () => {
    const config = committed("user.json");
    const route = at(config, "static_resources", "listeners", 0, "filter_chains", 0, "filters", 0);
    const routes = at(route, "typed_config", "route_config", "virtual_hosts", 0, "routes", 0);
    routes.direct_response = { status: 404 };
    const problems = validateEnvoyText(schema, JSON.stringify(config));
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? "", /oneof action .* route and direct_response/);
  });

  test("a list where a single value belongs, and a single value where a list belongs, fail", () => {
    const config = committed("user.json");
    const clusters = at(config, "static_resources", "clusters") as unknown as Json[];
    const first = clusters[0] as Json;
    first.health_checks = (first.health_checks as unknown[])[0];
    first.name = [first.name];
    const problems = validateEnvoyText(schema, JSON.stringify(config)).map((problem) => problem.path);
    assert.deepEqual(problems.sort(), [
      "static_resources.clusters[0].health_checks",
      "static_resources.clusters[0].name",
    ]);
  });

  test("broken JSON is reported, not thrown", () => {
    const problems = validateEnvoyText(schema, "{ not json");
    assert.equal(problems[0]?.path, "(file)");
  });
});

function firstCluster(config: Json): { cluster: Json } {
  const clusters = at(config, "static_resources", "clusters") as unknown as Json[];
  assert.ok(clusters[0]);
  return { cluster: clusters[0] };
}
