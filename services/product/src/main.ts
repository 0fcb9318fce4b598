import { stopOnSignals } from "@shop/platform/server/signals";
import { loadProductConfig } from "./config.js";
import { startProductService } from "./service.js";

// The product service process: config → service → stop gracefully on SIGTERM / SIGINT.
const config = loadProductConfig();
const service = await startProductService(config);
stopOnSignals(service, service.logger);
