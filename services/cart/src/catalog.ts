import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import type { Logger } from "@shop/platform/log";

/** What the cart needs from the catalog: does a product exist, and what is its canonical id. */
export interface Catalog {
  /**
   * Resolves to the product's canonical id, or rejects with NotFound (not in the catalog) or
   * Unavailable (the catalog cannot answer now). Never rejects with anything else.
   */
  requireProduct(productId: string, headers?: Record<string, string>): Promise<string>;
}

/**
 * The catalog as seen through the product service's typed client (deadline, retries for this
 * idempotent read, circuit breaker: all from the platform client).
 *
 * Why map errors here: a cart caller must learn "no such product" or "try again later", never an
 * Internal error because the product service is down or slow; the upstream's cause is logged.
 */
export function createCatalog(client: Client<typeof ProductService>, logger: Logger): Catalog {
  return {
    async requireProduct(productId, headers) {
      try {
        const { product } = await client.getProduct({ id: productId }, headers ? { headers } : {});
        if (!product?.id) throw new ConnectError("product service returned no product", Code.Internal);
        return product.id;
      } catch (error) {
        const cause = ConnectError.from(error);
        // InvalidArgument: the id cannot name any product (e.g. not a UUID), so it is not in the catalog.
        if (cause.code === Code.NotFound || cause.code === Code.InvalidArgument) {
          throw new ConnectError(`product "${productId}" not found`, Code.NotFound);
        }
        logger.warn({ err: cause, product_id: productId }, "product lookup failed");
        throw new ConnectError("the product catalog is unavailable, try again later", Code.Unavailable);
      }
    },
  };
}
