import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { StartConfig } from "./config.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface ProcessSpec {
  readonly name: string;
  readonly entry: string;
  readonly port: number;
  /** Postgres database this service owns, if any (database per service). */
  readonly database?: string;
  readonly env: Record<string, string>;
}

/** The reference design's ports (ARCHITECTURE §2), before SHOP_PORT_OFFSET. */
export const defaultPorts = {
  user: 8001,
  product: 8002,
  order: 8003,
  cart: 8004,
  payment: 8005,
  inventory: 8006,
  notification: 8007,
  edge: 8080,
};
type ProcessName = keyof typeof defaultPorts;
const url = (port: number) => `http://127.0.0.1:${port}`;

/** Upstream addresses under every spelling the services' configs use. */
function upstreamsOf(ports: Record<ProcessName, number>): Record<string, string> {
  return {
    USER_URL: url(ports.user),
    USER_SERVICE_URL: url(ports.user),
    PRODUCT_URL: url(ports.product),
    ORDER_URL: url(ports.order),
    CART_URL: url(ports.cart),
    PAYMENT_URL: url(ports.payment),
    INVENTORY_URL: url(ports.inventory),
    NOTIFICATION_URL: url(ports.notification),
  };
}

function databaseUrl(adminUrl: string, database: string): string {
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Every process of the local run, in start order (upstreams first), on the default ports shifted by
 * SHOP_PORT_OFFSET and with databases named `<SHOP_DB_PREFIX><service>`. A service whose folder does
 * not exist yet is left out, so `npm start` runs whatever part of the system is built.
 */
export function localProcesses(config: StartConfig): ProcessSpec[] {
  const ports = Object.fromEntries(
    Object.entries(defaultPorts).map(([name, port]) => [name, port + config.SHOP_PORT_OFFSET]),
  ) as Record<ProcessName, number>;
  const upstreams = upstreamsOf(ports);
  const common = {
    NATS_URL: config.NATS_URL,
    REDIS_URL: config.REDIS_URL,
    LOG_LEVEL: config.LOG_LEVEL,
    // One event bus for the whole run: publishers and consumers must share the prefix.
    ...(config.SHOP_EVENTS_NAMESPACE === undefined ? {} : { EVENTS_NAMESPACE: config.SHOP_EVENTS_NAMESPACE }),
  };
  const service = (
    name: Exclude<ProcessName, "edge">,
    extra: Record<string, string> = {},
    withDatabase = true,
  ): ProcessSpec => {
    const database = withDatabase ? `${config.SHOP_DB_PREFIX}${name}` : undefined;
    return {
      name,
      entry: `services/${name}/src/main.ts`,
      port: ports[name],
      database,
      env: {
        ...common,
        ...upstreams,
        PORT: String(ports[name]),
        // Only the edge is for other machines: internal RPCs trust the mesh's mTLS, absent here.
        HOST: "127.0.0.1",
        ...(database ? { DATABASE_URL: databaseUrl(config.DATABASE_URL, database) } : {}),
        ...extra,
      },
    };
  };
  const all: ProcessSpec[] = [
    service("user", {
      SHOP_ADMIN_EMAIL: config.SHOP_ADMIN_EMAIL,
      SHOP_ADMIN_PASSWORD: config.SHOP_ADMIN_PASSWORD,
    }),
    service("product"),
    service("inventory"),
    service("payment"),
    service("notification"),
    service("cart", { REDIS_KEY_PREFIX: config.SHOP_REDIS_PREFIX }, false),
    service("order", config.MONGO_URL ? { MONGO_URL: config.MONGO_URL } : {}),
    {
      name: "edge",
      entry: "edge/src/main.ts",
      port: ports.edge,
      env: {
        ...common,
        ...upstreams,
        EDGE_PORT: String(ports.edge),
        RATE_LIMIT_KEY_PREFIX: `${config.SHOP_REDIS_PREFIX}edge:ratelimit:`,
      },
    },
  ];
  return all.filter((spec) => existsSync(`${repoRoot}/${spec.entry}`));
}

export { repoRoot };
