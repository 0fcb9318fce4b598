import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";

/** One RPC as the sidecar sees it: the HTTP/2 path gRPC puts on the wire, and whether it is safe to retry. */
export interface GrpcMethod {
  /** `/shop.product.v1.ProductService/GetProduct` */
  path: string;
  /** Fully-qualified service name, used for grpc.health.v1 checks. */
  service: string;
  /** True only for methods the proto marks NO_SIDE_EFFECTS or IDEMPOTENT. */
  retryable: boolean;
}

/**
 * Lists the RPCs of every service in a protobuf package, from the committed descriptor set.
 *
 * Why from descriptors: whether a method may be retried is a fact of its contract
 * (`option idempotency_level`), so the sidecar's retry routes must follow the proto, not a hand-kept
 * list that drifts. Methods are sorted so the generated configs are byte-for-byte stable.
 */
export function loadGrpcMethods(descriptorSetPath: string): (protoPackage: string) => GrpcMethod[] {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetPath));
  const registry = createFileRegistry(set);
  const byPackage = new Map<string, GrpcMethod[]>();
  for (const file of registry.files) {
    for (const service of file.services) {
      const list = byPackage.get(file.proto.package) ?? [];
      for (const method of service.methods) {
        list.push({
          path: `/${service.typeName}/${method.name}`,
          service: service.typeName,
          retryable:
            method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
            method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT,
        });
      }
      byPackage.set(file.proto.package, list);
    }
  }
  return (protoPackage) => {
    const methods = byPackage.get(protoPackage);
    if (!methods || methods.length === 0) {
      throw new Error(`no gRPC service in package ${protoPackage} (is gen/descriptors.binpb current?)`);
    }
    return [...methods].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  };
}
