import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { loadGrpcMethods } from "./src/grpc-methods.js";
import { descriptorSetPath, findStaleFiles, renderMeshFiles } from "./src/mesh-files.js";
import { topology } from "./topology.js";

type Json = Record<string, unknown>;

const methods = loadGrpcMethods(descriptorSetPath);
const files = renderMeshFiles(topology);

function sidecar(name: string): Json {
  const text = files.get(`envoy/${name}.json`);
  assert.ok(text, `no config for ${name}`);
  return JSON.parse(text) as Json;
}

function listeners(config: Json): Json[] {
  return (config.static_resources as { listeners: Json[] }).listeners;
}

function clusters(config: Json): Json[] {
  return (config.static_resources as { clusters: Json[] }).clusters;
}

function routesOf(listener: Json): Json[] {
  const chain = (listener.filter_chains as Json[])[0] as { filters: { typed_config: Json }[] };
  const manager = chain.filters[0]?.typed_config as { route_config: { virtual_hosts: { routes: Json[] }[] } };
  return manager.route_config.virtual_hosts[0]?.routes ?? [];
}

describe("mesh generator", () => {
  test("rendering twice gives identical bytes", () => {
    const again = renderMeshFiles(topology);
    assert.deepEqual([...again.keys()], [...files.keys()]);
    for (const [file, content] of files) assert.equal(again.get(file), content, file);
  });

  test("the committed files are current", () => {
    assert.deepEqual(findStaleFiles(files), []);
  });

  test("a hand-edited or missing generated file is reported stale", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mesh-stale-"));
    try {
      for (const [relative, content] of files) {
        mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
        writeFileSync(path.join(dir, relative), content);
      }
      assert.deepEqual(findStaleFiles(files, dir), []);
      writeFileSync(path.join(dir, "envoy/cart.json"), `${files.get("envoy/cart.json")} `);
      rmSync(path.join(dir, "envoy/user.json"));
      assert.deepEqual(findStaleFiles(files, dir).sort(), ["envoy/cart.json", "envoy/user.json"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("each service gets exactly one outbound listener per declared upstream, on the upstream's port", () => {
    for (const spec of topology.services) {
      const outbound = listeners(sidecar(spec.name)).filter((listener) =>
        String(listener.name).startsWith("outbound_"),
      );
      const expected = spec.upstreams.map((link) => {
        const upstream = topology.services.find((candidate) => candidate.name === link.service);
        assert.ok(upstream);
        return { name: `outbound_${upstream.name}`, port: upstream.outboundPort };
      });
      assert.deepEqual(
        outbound.map((listener) => ({
          name: listener.name,
          port: (listener.address as { socket_address: { port_value: number } }).socket_address.port_value,
        })),
        expected,
        spec.name,
      );
      for (const listener of outbound) {
        const address = (listener.address as { socket_address: { address: string } }).socket_address.address;
        assert.equal(address, "127.0.0.1", `${spec.name} ${String(listener.name)} must be loopback only`);
      }
    }
  });

  test("retry policies sit exactly on the routes of NO_SIDE_EFFECTS / IDEMPOTENT methods", () => {
    let retried = 0;
    let unretried = 0;
    for (const spec of topology.services) {
      for (const listener of listeners(sidecar(spec.name))) {
        const upstreamName = String(listener.name).replace(/^outbound_/, "");
        if (upstreamName === listener.name) continue;
        const upstream = topology.services.find((candidate) => candidate.name === upstreamName);
        assert.ok(upstream?.protoPackage);
        const rpcs = methods(upstream.protoPackage);
        const routes = routesOf(listener);
        assert.equal(routes.length, rpcs.length + 1, "one route per RPC plus the catch-all");
        for (const rpc of rpcs) {
          const route = routes.find((candidate) => (candidate.match as { path?: string }).path === rpc.path);
          assert.ok(route, `${spec.name}: no route for ${rpc.path}`);
          const hasRetry = (route.route as Json).retry_policy !== undefined;
          assert.equal(hasRetry, rpc.retryable, `${spec.name}: ${rpc.path}`);
          if (hasRetry) retried++;
          else unretried++;
        }
        const catchAll = routes.at(-1) as Json;
        assert.deepEqual(catchAll.match, { prefix: "/" });
        assert.equal((catchAll.route as Json).retry_policy, undefined);
      }
    }
    assert.ok(retried > 0 && unretried > 0, "the contracts have both kinds of method");
  });

  test("PlaceOrder (not idempotent at the transport level) is never retried by the edge's sidecar", () => {
    const edge = listeners(sidecar("edge")).find((listener) => listener.name === "outbound_order");
    assert.ok(edge);
    const place = routesOf(edge).find(
      (route) => (route.match as { path?: string }).path === "/shop.order.v1.OrderService/PlaceOrder",
    );
    assert.ok(place);
    assert.equal((place.route as Json).retry_policy, undefined);
  });

  test("per-link overrides reach the route: order → payment allows one retry and a 10s timeout", () => {
    const listener = listeners(sidecar("order")).find((candidate) => candidate.name === "outbound_payment");
    assert.ok(listener);
    const get = routesOf(listener).find((route) =>
      (route.match as { path?: string }).path?.endsWith("/GetPayment"),
    );
    assert.ok(get);
    const action = get.route as {
      timeout: string;
      retry_policy: { num_retries: number; per_try_timeout: string };
    };
    assert.equal(action.timeout, "10s");
    assert.equal(action.retry_policy.num_retries, 1);
    assert.equal(action.retry_policy.per_try_timeout, "5s");
  });

  test("inbound mTLS admits exactly the declared callers, and services without callers admit none", () => {
    for (const spec of topology.services.filter((candidate) => candidate.meshInbound)) {
      const inbound = listeners(sidecar(spec.name)).find((listener) => listener.name === "inbound");
      assert.ok(inbound, spec.name);
      const chain = (inbound.filter_chains as Json[])[0] as { transport_socket: { typed_config: Json } };
      const tls = chain.transport_socket.typed_config as {
        require_client_certificate: boolean;
        common_tls_context: {
          validation_context: { match_typed_subject_alt_names: { matcher: { exact: string } }[] };
        };
      };
      assert.equal(tls.require_client_certificate, true);
      const admitted = tls.common_tls_context.validation_context.match_typed_subject_alt_names.map(
        (san) => san.matcher.exact,
      );
      const callers = topology.services
        .filter((caller) => caller.upstreams.some((link) => link.service === spec.name))
        .map((caller) => caller.name)
        .sort();
      assert.deepEqual(admitted, callers, spec.name);
    }
  });

  test("upstream clusters verify the upstream's identity and health-check grpc.health.v1", () => {
    const cart = clusters(sidecar("cart")).find((cluster) => cluster.name === "upstream_product");
    assert.ok(cart);
    const tls = (cart.transport_socket as { typed_config: { sni: string; common_tls_context: Json } })
      .typed_config;
    assert.equal(tls.sni, "product");
    const health = (cart.health_checks as { grpc_health_check: { service_name: string } }[])[0];
    assert.equal(health?.grpc_health_check.service_name, "shop.product.v1.ProductService");
    assert.ok(cart.outlier_detection && cart.circuit_breakers);
  });

  test("the admin API listens on loopback only", () => {
    for (const spec of topology.services) {
      const admin = sidecar(spec.name).admin as { address: { socket_address: { address: string } } };
      assert.equal(admin.address.socket_address.address, "127.0.0.1");
    }
  });
});
