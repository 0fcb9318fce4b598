/** B1 reference: plain `@grpc/grpc-js` serving the same handler, protobuf-es doing the (de)serialisation. */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type GetProductRequest,
  GetProductRequestSchema,
  type GetProductResponse,
  GetProductResponseSchema,
} from "@shop/gen/shop/product/v1/product_pb";
import { getProduct } from "./catalog-handler.js";

const server = new grpc.Server();
server.addService(
  {
    getProduct: {
      path: "/shop.product.v1.ProductService/GetProduct",
      requestStream: false,
      responseStream: false,
      requestDeserialize: (bytes: Buffer) => fromBinary(GetProductRequestSchema, bytes),
      requestSerialize: (message: GetProductRequest) =>
        Buffer.from(toBinary(GetProductRequestSchema, message)),
      responseSerialize: (message: GetProductResponse) =>
        Buffer.from(toBinary(GetProductResponseSchema, message)),
      responseDeserialize: (bytes: Buffer) => fromBinary(GetProductResponseSchema, bytes),
    },
  },
  {
    getProduct(
      call: grpc.ServerUnaryCall<GetProductRequest, GetProductResponse>,
      callback: grpc.sendUnaryData<GetProductResponse>,
    ) {
      callback(null, getProduct(call.request));
    },
  },
);
server.bindAsync(`127.0.0.1:${process.env.PORT}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  console.log("ready");
});
