import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@shop/gen/health/v1/health_pb";

/**
 * Container health probe, shipped in the image so compose needs no grpc_health_probe binary:
 *   node --import tsx mesh/healthcheck.ts grpc 8002 [sidecar-admin-port]
 *   node --import tsx mesh/healthcheck.ts http 8080/healthz [sidecar-admin-port]
 * Exits 0 only if the process answers SERVING (grpc.health.v1 Check, overall server) or HTTP 200, and,
 * when a sidecar admin port is given, the sidecar in the same network namespace reports /ready.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [mode, target, adminPort] = argv;
  if ((mode !== "grpc" && mode !== "http") || !target) {
    console.error("usage: healthcheck.ts grpc <port> [admin-port] | http <port>/<path> [admin-port]");
    return 2;
  }
  const signal = AbortSignal.timeout(2000);
  if (mode === "grpc") {
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${target}` });
    const response = await createClient(Health, transport).check({ service: "" }, { signal });
    if (response.status !== HealthCheckResponse_ServingStatus.SERVING) {
      console.error(`service: ${HealthCheckResponse_ServingStatus[response.status]}`);
      return 1;
    }
  } else {
    const response = await fetch(`http://127.0.0.1:${target}`, { signal });
    if (response.status !== 200) {
      console.error(`service: HTTP ${response.status}`);
      return 1;
    }
  }
  if (adminPort) {
    const ready = await fetch(`http://127.0.0.1:${adminPort}/ready`, { signal });
    if (ready.status !== 200) {
      console.error(`sidecar: /ready answered ${ready.status}`);
      return 1;
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`unhealthy: ${(error as Error).message}`);
    process.exit(1);
  },
);
