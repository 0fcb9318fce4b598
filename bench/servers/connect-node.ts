/** B1 reference: plain connect-node (`connectNodeAdapter` on `http2.createServer`) serving the same handler. */
import http2 from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { getProduct } from "./catalog-handler.js";

const handler = connectNodeAdapter({
  routes(router) {
    router.service(ProductService, { getProduct });
  },
});
http2.createServer(handler).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
