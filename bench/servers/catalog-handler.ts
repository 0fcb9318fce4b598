import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type GetProductRequest,
  type GetProductResponse,
  GetProductResponseSchema,
  ProductSchema,
} from "@shop/gen/shop/product/v1/product_pb";

/** The id every benchmark request asks for; `bench/run.ts` encodes it into the request body. */
export const benchProductId = "5f0c7a52-1c1e-4a47-9d43-3b1f0f3e8a11";

const catalog = new Map([
  [
    benchProductId,
    create(ProductSchema, {
      id: benchProductId,
      name: "Vintage typewriter",
      description: "A fully restored 1960s portable typewriter with a new ribbon.",
      price: { currencyCode: "USD", units: 129n, nanos: 990_000_000 },
      createTime: timestampFromMs(1_700_000_000_000),
      updateTime: timestampFromMs(1_700_000_000_000),
    }),
  ],
]);

/**
 * The one handler every B1 server runs, so the benchmark compares transports, not business logic:
 * an in-memory GetProduct (a small request, a ~150-byte response).
 */
export function getProduct(request: GetProductRequest): GetProductResponse {
  const product = catalog.get(request.id);
  if (!product) throw new ConnectError(`product ${request.id} not found`, Code.NotFound);
  return create(GetProductResponseSchema, { product });
}
