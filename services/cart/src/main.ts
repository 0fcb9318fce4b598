import { stopOnSignals } from "@shop/platform/server/signals";
import { parseCartConfig } from "./config.js";
import { startCartService } from "./service.js";

// The cart service process: config → service → stop gracefully on SIGTERM / SIGINT.
const service = await startCartService(parseCartConfig());
stopOnSignals(service, service.logger);
