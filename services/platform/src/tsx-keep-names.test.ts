import assert from "node:assert/strict";
import { describe, it } from "node:test";

/**
 * The services run their TypeScript through tsx, which patches/tsx+4.23.15.patch keeps from wrapping
 * every function in esbuild's `__name` helper (see patches/README.md). These run in a module that tsx
 * transformed, so they see what every service module gets.
 */
describe("TypeScript as tsx transforms it for the services", () => {
  it("has no __name helper: closures made per request cost no Object.defineProperty", () => {
    // A direct eval sees this module's own top-level bindings, where esbuild would have put the helper.
    // biome-ignore lint/security/noGlobalEval: only a direct eval can look up a binding by its name here.
    assert.equal(eval("typeof __name"), "undefined");
  });

  it("still gives functions and classes the names that logs and errors show", () => {
    const finish = () => 1;
    function handle() {
      return 2;
    }
    class GatewayRefusal extends Error {}
    assert.equal(finish.name, "finish");
    assert.equal(handle.name, "handle");
    assert.equal(new GatewayRefusal("no").constructor.name, "GatewayRefusal");
  });
});
