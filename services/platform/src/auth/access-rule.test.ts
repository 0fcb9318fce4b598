import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Health } from "@shop/gen/health/v1/health_pb";
import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { accessPolicyOf } from "./access-rule.js";

describe("accessPolicyOf", () => {
  it("reads public, internal and role rules from the contracts", () => {
    assert.deepEqual(accessPolicyOf(UserService.method.login), { kind: "public", roles: [] });
    assert.deepEqual(accessPolicyOf(InventoryService.method.reserveStock), { kind: "internal", roles: [] });
    assert.deepEqual(accessPolicyOf(ProductService.method.createProduct), { kind: "user", roles: ["admin"] });
    assert.deepEqual(accessPolicyOf(InventoryService.method.setStock), { kind: "user", roles: ["admin"] });
  });

  it("requires a signed-in user when a method has no access option", () => {
    assert.deepEqual(accessPolicyOf(UserService.method.getMe), { kind: "user", roles: [] });
    assert.deepEqual(accessPolicyOf(CartService.method.getCart), { kind: "user", roles: [] });
  });

  it("leaves health and reflection public, so probes without a token see the serving status", async () => {
    const { ServerReflection } = await import("@shop/gen/grpc/reflection/v1/reflection_pb");
    assert.deepEqual(accessPolicyOf(Health.method.check), { kind: "public", roles: [] });
    assert.deepEqual(accessPolicyOf(Health.method.watch), { kind: "public", roles: [] });
    assert.deepEqual(accessPolicyOf(ServerReflection.method.serverReflectionInfo), {
      kind: "public",
      roles: [],
    });
  });

  it("returns the same frozen policy for repeated lookups", () => {
    const first = accessPolicyOf(ProductService.method.updateProduct);
    assert.equal(accessPolicyOf(ProductService.method.updateProduct), first);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.roles));
  });

  it("reads a contradictory rule as the stricter one", async () => {
    // A method descriptor whose option says public *and* admin: build one by copying a real method
    // and replacing its options, which is what a typo in a proto would produce.
    const { AccessRuleSchema, access } = await import("@shop/gen/shop/common/v1/access_pb");
    const { setExtension } = await import("@bufbuild/protobuf");
    const { MethodOptionsSchema } = await import("@bufbuild/protobuf/wkt");
    const options = create(MethodOptionsSchema);
    setExtension(options, access, create(AccessRuleSchema, { public: true, roles: ["Admin"] }));
    const method = { ...UserService.method.login, proto: { ...UserService.method.login.proto, options } };
    assert.deepEqual(accessPolicyOf(method as typeof UserService.method.login), {
      kind: "user",
      roles: ["admin"],
    });
  });
});
