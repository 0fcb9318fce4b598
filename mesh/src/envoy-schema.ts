import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);

/** Envoy's API protos and the trees they import, as shipped inside @grpc/grpc-js-xds. */
function protoRoots(): string[] {
  const deps = path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
  return ["envoy-api", "xds", "protoc-gen-validate", "googleapis"].map((dir) => path.join(deps, dir));
}

/** Envoy's schema, able to load an extension's proto package on first use of its type. */
export interface EnvoySchema {
  /** The message type of a fully-qualified name (loading its package's protos if needed), or undefined. */
  findType(fullName: string): protobuf.Type | undefined;
}

let descriptorRegistered = false;

const importPattern = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

/** Whether a proto file and everything it imports, transitively, can be found. Memoized per schema. */
function createImportCheck(resolve: (target: string) => string | undefined): (file: string) => boolean {
  const verdicts = new Map<string, boolean>();
  const check = (file: string): boolean => {
    const known = verdicts.get(file);
    if (known !== undefined) return known;
    verdicts.set(file, true); // optimistic while visiting, which also ends import cycles
    let ok = true;
    if (!(file in protobuf.common)) {
      for (const match of readFileSync(file, "utf8").matchAll(importPattern)) {
        const target = match[1] ?? "";
        const resolved = resolve(target);
        if (!resolved || !check(resolved)) {
          ok = false;
          break;
        }
      }
    }
    verdicts.set(file, ok);
    return ok;
  };
  return check;
}

/**
 * Loads `envoy.config.bootstrap.v3.Bootstrap` and everything it imports from Envoy's own protos.
 *
 * Why lazily per package: extension configs arrive as `google.protobuf.Any` and the bootstrap does not
 * import them. Envoy's proto packages map one-to-one onto directories, so `@type` names are resolved by
 * loading that directory's files on demand: every extension is checkable, and only what the configs
 * use is parsed.
 */
export function loadEnvoySchema(): EnvoySchema {
  if (!descriptorRegistered) {
    // protobufjs bundles descriptor.proto as JSON; Envoy's annotations import it.
    protobuf.common(
      "google/protobuf/descriptor.proto",
      require("protobufjs/google/protobuf/descriptor.json"),
    );
    descriptorRegistered = true;
  }
  const roots = protoRoots();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => resolveImport(target) ?? target;
  const options = { keepCase: true };
  const resolveImport = (target: string): string | undefined => {
    if (target in protobuf.common) return target;
    return roots.map((dir) => path.join(dir, target)).find((candidate) => existsSync(candidate));
  };
  // A few extension packages (the deprecated OpenCensus tracer) import protos that are not shipped;
  // those files are skipped instead of failing the whole package.
  const loadable = createImportCheck(resolveImport);
  root.loadSync("envoy/config/bootstrap/v3/bootstrap.proto", options);
  root.resolveAll();
  const triedPackages = new Set<string>();

  const lookup = (fullName: string): protobuf.Type | undefined => {
    const found = root.lookup(fullName);
    return found instanceof protobuf.Type ? found : undefined;
  };

  return {
    findType(fullName) {
      const known = lookup(fullName);
      if (known) return known;
      const pkg = fullName.split(".").slice(0, -1).join(".");
      if (!pkg || triedPackages.has(pkg)) return undefined;
      triedPackages.add(pkg);
      for (const dir of roots) {
        const pkgDir = path.join(dir, ...pkg.split("."));
        if (!existsSync(pkgDir)) continue;
        const files = readdirSync(pkgDir)
          .filter((file) => file.endsWith(".proto"))
          .map((file) => path.join(pkgDir, file))
          .filter(loadable);
        if (files.length > 0) {
          root.loadSync(files, options);
          root.resolveAll();
        }
      }
      return lookup(fullName);
    },
  };
}
