import { stopOnSignals } from "@shop/platform/server/signals";
import { parseUserConfig } from "./config.js";
import { startUserService } from "./service.js";

// The user service process: config → service → stop gracefully on SIGTERM / SIGINT.
const service = await startUserService(parseUserConfig());
stopOnSignals(service, service.logger);
