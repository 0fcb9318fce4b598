import { stopOnSignals } from "@shop/platform/server/signals";
import { parseOrderConfig } from "./config.js";
import { startOrderService } from "./service.js";

// The order service process: config → service (store, clients, saga worker, server) → stop on signals.
const service = await startOrderService(parseOrderConfig());
stopOnSignals(service, service.logger);
