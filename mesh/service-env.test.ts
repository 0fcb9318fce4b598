import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { edgeEnvSchema } from "../edge/src/config.js";
import { cartEnv } from "../services/cart/src/config.js";
import { inventoryEnv } from "../services/inventory/src/config.js";
import { notificationEnv } from "../services/notification/src/config.js";
import { orderEnv } from "../services/order/src/config.js";
import { paymentEnv } from "../services/payment/src/config.js";
import { productEnvSchema } from "../services/product/src/config.js";
import { userEnv } from "../services/user/src/config.js";
import { meshDir } from "./src/render-mesh.js";
import { upstreamEnv } from "./src/upstream-env.js";
import { topology } from "./topology.js";

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked as untyped JSON; a wrong shape fails the assertions.
type Json = Record<string, any>;

/** Each deployed process's config schema: what the code really reads from its environment. */
const schemas: Record<string, { shape: Record<string, unknown> }> = {
  user: userEnv,
  product: productEnvSchema,
  order: orderEnv,
  cart: cartEnv,
  payment: paymentEnv,
  inventory: inventoryEnv,
  notification: notificationEnv,
  edge: edgeEnvSchema,
};

/** URLs of stores, which the deployment files fill from `stores`, not from upstream links. */
const storeUrls = new Set(["DATABASE_URL", "MONGO_URL", "NATS_URL", "REDIS_URL"]);

/** The peer addresses a service's code reads: every `*_URL` variable that is not a store. */
function peerUrlsRead(service: string): string[] {
  const schema = schemas[service];
  assert.ok(schema, `no config schema listed for ${service}`);
  return Object.keys(schema.shape)
    .filter((name) => name.endsWith("_URL") && !storeUrls.has(name))
    .sort();
}

function composeEnvNames(service: string): string[] {
  const text = readFileSync(path.join(meshDir, "..", "docker-compose.yml"), "utf8");
  const block = text.split(`\n  ${service}:\n`)[1]?.split(/\n {2}\S/)[0] ?? "";
  return [...block.matchAll(/^ {6}([A-Z0-9_]+):/gm)].map((match) => match[1] ?? "");
}

function kubernetesEnvNames(service: string): string[] {
  const list = JSON.parse(readFileSync(path.join(meshDir, "k8s", "base", `${service}.json`), "utf8")) as Json;
  const deployment = (list.items as Json[]).find((item) => item.kind === "Deployment");
  assert.ok(deployment, service);
  const app = (deployment.spec.template.spec.containers as Json[]).find((c) => c.name === service);
  return ((app?.env ?? []) as Json[]).map((variable) => String(variable.name));
}

describe("deployment environment matches what the code reads", () => {
  test("every topology service has its config schema listed here", () => {
    assert.deepEqual(topology.services.map((spec) => spec.name).sort(), Object.keys(schemas).sort());
  });

  for (const spec of topology.services) {
    test(`${spec.name}: every peer *_URL its config reads is an upstream link of the topology`, () => {
      // An unset peer URL falls back to 127.0.0.1:<port>, which in a pod or netns is nothing: the
      // call fails at runtime, so a variable the code reads but the topology lacks must fail here.
      const wired = upstreamEnv(topology, spec);
      assert.deepEqual(wired.map((variable) => variable.name).sort(), peerUrlsRead(spec.name));
      for (const variable of wired) {
        assert.match(variable.value, /^http:\/\/127\.0\.0\.1:150\d\d$/, variable.name);
      }
    });

    test(`${spec.name}: docker-compose.yml and the Kubernetes Deployment set those variables`, () => {
      const compose = composeEnvNames(spec.name);
      const kubernetes = kubernetesEnvNames(spec.name);
      for (const name of peerUrlsRead(spec.name)) {
        assert.ok(compose.includes(name), `compose ${spec.name} lacks ${name}`);
        assert.ok(kubernetes.includes(name), `k8s ${spec.name} lacks ${name}`);
      }
    });
  }
});
