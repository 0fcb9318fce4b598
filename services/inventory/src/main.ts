import { stopOnSignals } from "@shop/platform/server/signals";
import { parseInventoryConfig } from "./config.js";
import { startInventoryService } from "./service.js";

// The inventory service process: config → service → stop gracefully on SIGTERM / SIGINT.
const service = await startInventoryService(parseInventoryConfig());
stopOnSignals(service, service.logger);
