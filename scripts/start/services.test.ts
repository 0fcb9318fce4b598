import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseStartConfig } from "./config.js";
import { localProcesses } from "./services.js";

describe("npm start: one events namespace for the whole run", () => {
  test("SHOP_EVENTS_NAMESPACE reaches every service as EVENTS_NAMESPACE", () => {
    const processes = localProcesses(parseStartConfig({ SHOP_EVENTS_NAMESPACE: "demo_2" }));
    const services = processes.filter((spec) => spec.name !== "edge");
    assert.ok(services.length > 0);
    for (const spec of services) assert.equal(spec.env.EVENTS_NAMESPACE, "demo_2", spec.name);
  });

  test("unset or empty, no service gets a namespace (the production streams)", () => {
    for (const env of [{}, { SHOP_EVENTS_NAMESPACE: "" }]) {
      for (const spec of localProcesses(parseStartConfig(env))) {
        assert.equal(spec.env.EVENTS_NAMESPACE, undefined, spec.name);
      }
    }
  });

  test("a namespace that would widen subscriptions stops npm start with the variable named", () => {
    assert.throws(() => parseStartConfig({ SHOP_EVENTS_NAMESPACE: "a.>" }), /SHOP_EVENTS_NAMESPACE/);
  });
});

describe("npm start: only the edge listens beyond this machine", () => {
  test("every service binds 127.0.0.1 (internal RPCs trust the mesh's mTLS, which npm start lacks)", () => {
    const processes = localProcesses(parseStartConfig({}));
    const services = processes.filter((spec) => spec.name !== "edge");
    assert.ok(services.length > 0);
    for (const spec of services) assert.equal(spec.env.HOST, "127.0.0.1", spec.name);
    const edge = processes.find((spec) => spec.name === "edge");
    assert.equal(edge?.env.HOST, undefined);
    assert.equal(edge?.env.EDGE_HOST, undefined, "the edge keeps its default: every interface");
  });
});
