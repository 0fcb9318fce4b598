import { stopOnSignals } from "@shop/platform/server/signals";
import { parseNotificationConfig } from "./config.js";
import { startNotificationService } from "./service.js";

// The notification service process: config → service → stop gracefully on SIGTERM / SIGINT.
const service = await startNotificationService(parseNotificationConfig());
stopOnSignals(service, service.logger);
