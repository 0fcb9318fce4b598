import { stopOnSignals } from "@shop/platform/server/signals";
import { loadPaymentConfig } from "./config.js";
import { startPaymentService } from "./service.js";

// The payment service process: config → service → stop gracefully on SIGTERM / SIGINT.
const service = await startPaymentService(loadPaymentConfig());
stopOnSignals(service, service.logger);
