import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import type { Logger } from "@shop/platform/log";

/** What inventory needs from the catalog: does a product exist, and what is its canonical id. */
export interface ProductCatalog {
  /**
   * Resolves to the product's canonical id, or rejects with NotFound (not in the catalog) or
   * Unavailable (the catalog cannot answer now). Never rejects with anything else.
   */
  requireProduct(productId: string, headers?: Record<string, string>): Promise<string>;
}

/**
 * The catalog seen through the product service's typed platform client (deadline, breaker, and
 * retries per UPSTREAM_RETRY_ATTEMPTS for this idempotent read).
 *
 * Why map the errors here: an admin setting stock must learn "no such product" or "try again
 * later"; the product service's own codes (InvalidArgument for an id that cannot be a product id,
 * DeadlineExceeded, an open breaker) are not the inventory contract's. The upstream cause is logged.
 */
export function createProductCatalog(client: Client<typeof ProductService>, logger: Logger): ProductCatalog {
  return {
    async requireProduct(productId, headers) {
      let id: string | undefined;
      try {
        const { product } = await client.getProduct({ id: productId }, headers ? { headers } : {});
        id = product?.id;
      } catch (error) {
        const cause = ConnectError.from(error);
        if (cause.code === Code.NotFound || cause.code === Code.InvalidArgument) {
          throw new ConnectError(`product "${productId}" not found in the catalog`, Code.NotFound);
        }
        logger.warn({ err: cause, product_id: productId }, "product lookup failed");
        throw new ConnectError("the product catalog is unavailable, try again later", Code.Unavailable);
      }
      if (!id) {
        logger.warn({ product_id: productId }, "product service answered without a product");
        throw new ConnectError("the product catalog is unavailable, try again later", Code.Unavailable);
      }
      return id;
    },
  };
}
