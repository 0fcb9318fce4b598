import { cpus } from "node:os";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GetProductRequestSchema, ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { writeGrpcRequestFile } from "./grpc-body.js";
import { runH2load } from "./h2load.js";
import { benchProductId } from "./servers/catalog-handler.js";
import { type SpawnedServer, spawnServer } from "./spawn-server.js";
import { formatRatio, median } from "./stats.js";

/** The servers B1 compares; each serves the identical in-memory GetProduct handler. */
const contenders = [
  {
    id: "bare",
    label: "bare `node:http2` + protobuf-es (baseline)",
    script: "bench/servers/bare-http2.ts",
    env: {},
  },
  {
    id: "platform",
    label: "platform server, standard interceptors (tracing, request log, metrics)",
    script: "bench/servers/platform.ts",
    env: { BENCH_INTERCEPTORS: "standard" },
  },
  {
    id: "platform-bare",
    label: "platform server, no interceptors",
    script: "bench/servers/platform.ts",
    env: { BENCH_INTERCEPTORS: "none" },
  },
  { id: "grpc-js", label: "plain `@grpc/grpc-js` 1.14.7", script: "bench/servers/grpc-js.ts", env: {} },
  { id: "connect-node", label: "plain connect-node 2.1.2", script: "bench/servers/connect-node.ts", env: {} },
] as const;

export interface B1Options {
  readonly rounds: number;
  readonly requestsPerRound: number;
  readonly basePort: number;
}

/**
 * B1: a small unary gRPC call served by the platform's server vs the same handler on a bare
 * `node:http2` server, with plain grpc-js and plain connect-node beside them. Servers run on CPU 0,
 * h2load on CPU 1; rounds interleave the servers so drift on the machine hits all of them alike;
 * the report uses medians. Returns the markdown section for bench/RESULTS.md.
 */
export async function runB1(options: B1Options): Promise<string> {
  const bodyFile = await writeGrpcRequestFile("b1-get-product", GetProductRequestSchema, {
    id: benchProductId,
  });

  const servers = new Map<string, { server: SpawnedServer; url: string }>();
  try {
    for (const [index, contender] of contenders.entries()) {
      const port = options.basePort + index;
      const server = await spawnServer(contender.script, { ...contender.env, PORT: String(port) }, 0);
      const url = `http://127.0.0.1:${port}`;
      await assertServesGetProduct(url, contender.id);
      servers.set(contender.id, { server, url });
    }

    const rates = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
    const load = (id: string, requests: number) =>
      runH2load({
        url: `${servers.get(id)?.url}/shop.product.v1.ProductService/GetProduct`,
        bodyFile,
        requests,
        clients: 8,
        streamsPerClient: 16,
        cpu: 1,
      });
    for (const contender of contenders) await load(contender.id, Math.ceil(options.requestsPerRound / 4)); // warm-up
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 0 ? [...contenders].reverse() : contenders;
      for (const contender of order) {
        const result = await load(contender.id, options.requestsPerRound);
        if (result.failed > 0) throw new Error(`${contender.id}: ${result.failed} requests failed`);
        rates.get(contender.id)?.push(result.requestsPerSecond);
        console.log(`B1 round ${round} ${contender.id}: ${Math.round(result.requestsPerSecond)} req/s`);
      }
    }
    return report(options, rates);
  } finally {
    await Promise.all([...servers.values()].map(({ server }) => server.stop()));
  }
}

/** h2load only sees HTTP status 200; one real gRPC call proves each server answers correctly. */
async function assertServesGetProduct(baseUrl: string, id: string): Promise<void> {
  const client = createClient(ProductService, createGrpcTransport({ baseUrl }));
  const response = await client.getProduct({ id: benchProductId }, { timeoutMs: 5000 });
  if (response.product?.id !== benchProductId) throw new Error(`${id} answered GetProduct wrongly`);
}

function report(options: B1Options, rates: Map<string, number[]>): string {
  const medians = new Map([...rates].map(([id, values]) => [id, median(values)]));
  const baseline = medians.get("bare") as number;
  const rows = contenders.map((c) => {
    const value = medians.get(c.id) as number;
    const all = (rates.get(c.id) ?? []).map((v) => Math.round(v)).join(", ");
    return `| ${c.label} | ${Math.round(value)} | ${formatRatio(value / baseline)} | ${all} |`;
  });
  const platformRatio = (medians.get("platform") as number) / baseline;
  return `## B1 — unary gRPC call: platform server vs bare \`node:http2\`

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}.
Each server runs the same in-memory \`GetProduct\` handler (protobuf-es encoding) in its own process on CPU 0;
h2load runs on CPU 1 (8 connections × 16 streams, ${options.requestsPerRound} calls per round, ${options.rounds} interleaved rounds after a warm-up).
Ratios are medians relative to the bare \`node:http2\` server measured in the same run.

| server | median calls/s | ratio to bare | every round |
|---|---:|---:|---|
${rows.join("\n")}

**B1 ratio (platform server with its standard interceptors / bare node:http2): ${formatRatio(platformRatio)}** — target ≥ 0.50×.

Reproduce: \`npm run bench -- b1\` (needs \`h2load\` from Debian's \`nghttp2-client\` and \`taskset\`).`;
}
