import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Product, ProductService, UpdateProductRequest } from "@shop/gen/shop/product/v1/product_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { optionalIdempotencyKey } from "@shop/platform/idempotency-key";
import { invalidArgument } from "@shop/platform/invalid-argument";
import { resolvePageSize } from "@shop/platform/page-size";
import { requireUuid } from "@shop/platform/uuid-field";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { toProduct } from "./product-proto.js";
import type { ProductInput, ProductStore } from "./store.js";
import { validateDescription, validateName, validatePrice, validateQuery } from "./validate.js";

/** Fields UpdateProduct may change, as they are spelled in `update_mask`. */
const updatablePaths = ["name", "description", "price"] as const;
type UpdatablePath = (typeof updatablePaths)[number];

function notFound(id: string): ConnectError {
  return new ConnectError(`product ${id} not found`, Code.NotFound);
}

/** The mask's paths, or the fields the caller set when the mask is empty (see the proto). */
function pathsToUpdate(request: UpdateProductRequest, product: Product): Set<UpdatablePath> {
  const given = request.updateMask?.paths ?? [];
  const paths = new Set<UpdatablePath>();
  for (const path of given) {
    if (!(updatablePaths as readonly string[]).includes(path)) {
      throw invalidArgument(
        "update_mask",
        `path "${path}" cannot be updated; use name, description or price`,
      );
    }
    paths.add(path as UpdatablePath);
  }
  if (given.length === 0) {
    if (product.name !== "") paths.add("name");
    if (product.description !== "") paths.add("description");
    if (product.price !== undefined) paths.add("price");
  }
  if (paths.size === 0) {
    throw invalidArgument("update_mask", "names no field to change; set name, description or price");
  }
  return paths;
}

/**
 * The ProductService RPCs: validation with INVALID_ARGUMENT naming the field, NOT_FOUND for ids that
 * name nothing, and stable keyset paging with opaque page tokens. Why the store is injected: the
 * handlers own the contract's rules, the store only the SQL, so each is testable and replaceable.
 * Admin-only access to Create/Update is enforced by the runtime's auth interceptor, not here; a
 * CreateProduct with an idempotency key reads the caller's identity only to scope the key.
 */
export function createProductHandlers(store: ProductStore): Partial<ServiceImpl<typeof ProductService>> {
  return {
    async getProduct(request) {
      const id = requireUuid("id", request.id);
      const record = await store.get(id);
      if (!record) throw notFound(id);
      return { product: toProduct(record) };
    },

    async listProducts(request) {
      const limit = resolvePageSize(request.pageSize);
      const query = validateQuery(request.query);
      const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken, query);
      const rows = await store.list({ text: query, limit: limit + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        products: page.map(toProduct),
        nextPageToken: rows.length > limit && last ? encodePageToken(query, last) : "",
      };
    },

    async createProduct(request, context) {
      const product = request.product;
      if (!product) throw invalidArgument("product", "is required");
      const input: ProductInput = {
        name: validateName("product.name", product.name),
        description: validateDescription("product.description", product.description),
        ...validatePrice("product.price", product.price),
      };
      const idempotencyKey = optionalIdempotencyKey(request.idempotencyKey);
      if (idempotencyKey === undefined) return { product: toProduct(await store.create(input)) };
      // Keys are the caller's own: another admin's identical key is another key.
      const { userId: callerId } = requireIdentity(context);
      const result = await store.createOnce(input, { callerId, idempotencyKey });
      if (result.kind === "key-reused") {
        throw new ConnectError(
          `idempotency_key was already used by this caller to create product ${result.productId} from a different name, description or price; send a new key to create another product`,
          Code.FailedPrecondition,
        );
      }
      return { product: toProduct(result.product) };
    },

    async updateProduct(request) {
      const product = request.product;
      if (!product) throw invalidArgument("product", "is required");
      const id = requireUuid("product.id", product.id);
      const paths = pathsToUpdate(request, product);
      const changes: { -readonly [K in keyof ProductInput]?: ProductInput[K] } = {};
      if (paths.has("name")) changes.name = validateName("product.name", product.name);
      if (paths.has("description")) {
        changes.description = validateDescription("product.description", product.description);
      }
      if (paths.has("price")) Object.assign(changes, validatePrice("product.price", product.price));
      const record = await store.update(id, changes);
      if (!record) throw notFound(id);
      return { product: toProduct(record) };
    },
  };
}
