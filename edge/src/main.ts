import { createLogger } from "@shop/platform/log";
import { stopOnSignals } from "@shop/platform/server/signals";
import { parseEdgeConfig } from "./config.js";
import { startEdge } from "./service.js";

const config = parseEdgeConfig();
const logger = createLogger({ service: "edge", level: config.LOG_LEVEL });
const edge = await startEdge(config, { logger });
stopOnSignals(edge, logger);
