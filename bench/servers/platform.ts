/**
 * B1 subject: the platform serving the same handler. With BENCH_INTERCEPTORS=standard it starts
 * exactly as a service does, through `startServiceRuntime` (request-log line per call — written to
 * /dev/null — and RPC metrics); with BENCH_INTERCEPTORS=none it is the bare `startGrpcServer`.
 */
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import pino from "pino";
import { serviceImpl, startGrpcServer } from "../../services/platform/src/server/server.js";
import { startServiceRuntime } from "../../services/platform/src/service-runtime.js";
import { getProduct } from "./catalog-handler.js";

// Request logs go where production's go (pino's own fast stdout writer), only aimed at /dev/null.
const logger = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: false }));
const services = [serviceImpl(ProductService, { getProduct })];
const port = Number(process.env.PORT);
if (process.env.BENCH_INTERCEPTORS === "standard") {
  await startServiceRuntime({ name: "bench", port, host: "127.0.0.1", logLevel: "info", logger, services });
} else {
  await startGrpcServer({ port, host: "127.0.0.1", services, logger });
}
console.log("ready");
