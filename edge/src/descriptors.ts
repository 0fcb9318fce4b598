import { readFileSync } from "node:fs";
import { createFileRegistry, type DescService, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** Where `npm run generate` writes the FileDescriptorSet (with source comments) of every contract. */
export const defaultDescriptorsPath = new URL("../../gen/descriptors.binpb", import.meta.url);

export interface Contracts {
  readonly registry: FileRegistry;
  /** The shop's own services (package `shop.*`), the only ones the edge ever routes to. */
  readonly services: readonly DescService[];
}

/**
 * Loads the contracts from a binary FileDescriptorSet. Why at runtime and not from generated code:
 * the descriptor set carries the proto comments (the OpenAPI descriptions) and lets the edge route
 * to every service without importing any of them, so a new RPC needs only `npm run generate`.
 */
export function loadContracts(bytes: Uint8Array): Contracts {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const services: DescService[] = [];
  for (const file of registry.files) {
    if (!file.proto.package.startsWith("shop.")) continue;
    services.push(...file.services);
  }
  services.sort((a, b) => a.typeName.localeCompare(b.typeName));
  return { registry, services };
}

/** Reads and loads the descriptor set file; see {@link loadContracts}. */
export function loadContractsFile(path: string | URL = defaultDescriptorsPath): Contracts {
  return loadContracts(readFileSync(path));
}
