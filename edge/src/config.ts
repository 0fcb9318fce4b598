import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { z } from "zod";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const positiveNumber = (fallback: number) => z.coerce.number().positive().default(fallback);

/** `a, b ,c` → ["a","b","c"]; empty entries dropped. */
const commaList = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );

const trustProxyMessage = "expected true, false or a whole number of trusted proxies (0 or more)";

/**
 * How many proxies of ours stand in front of the edge, each appending to `X-Forwarded-For`: `false` is
 * 0 (the header is ignored), `true` is 1, or a whole number such as 2 for a CDN and then a load
 * balancer. Parsed once here, so the request path only compares a number.
 */
const trustedProxiesVar = z
  .string()
  .transform((value, ctx) => {
    const text = value.trim();
    if (text === "true") return 1;
    if (text === "false") return 0;
    const hops = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(hops)) {
      ctx.issues.push({ code: "custom", message: trustProxyMessage, input: value });
      return z.NEVER;
    }
    return hops;
  })
  .default(0);

/** The edge's environment: where it listens, where each upstream is, and its limits. */
export const edgeEnvSchema = z.object({
  ...commonServiceEnv,
  EDGE_PORT: portVar(8080),
  EDGE_HOST: z.string().default("0.0.0.0"),
  USER_URL: urlVar("http://127.0.0.1:8001"),
  PRODUCT_URL: urlVar("http://127.0.0.1:8002"),
  ORDER_URL: urlVar("http://127.0.0.1:8003"),
  CART_URL: urlVar("http://127.0.0.1:8004"),
  PAYMENT_URL: urlVar("http://127.0.0.1:8005"),
  INVENTORY_URL: urlVar("http://127.0.0.1:8006"),
  NOTIFICATION_URL: urlVar("http://127.0.0.1:8007"),
  REDIS_URL: urlVar("redis://127.0.0.1:6379"),
  /** Deadline of every upstream call made for a REST request. */
  UPSTREAM_TIMEOUT_MS: durationMsVar(5000),
  /** Largest accepted request body; larger ones get 413. */
  BODY_LIMIT_BYTES: positiveInt(1024 * 1024),
  /** Token bucket per client and route: burst size and tokens added per second. */
  RATE_LIMIT_CAPACITY: positiveInt(60),
  RATE_LIMIT_REFILL_PER_SECOND: positiveNumber(20),
  RATE_LIMIT_KEY_PREFIX: z.string().default("edge:ratelimit:"),
  /** Browser origins allowed to call the API (`*` for any); empty disables CORS. */
  CORS_ALLOWED_ORIGINS: commaList,
  /**
   * Number of trusted proxies in front of the edge (`true` = 1, `false` = 0): the client IP is the Nth
   * `X-Forwarded-For` entry from the end, the one our outermost proxy wrote; 0 uses the socket address.
   */
  TRUST_PROXY: trustedProxiesVar,
  /** Must match the user service's token claims. */
  JWT_ISSUER: z.string().min(1).default("shop-user"),
  JWT_AUDIENCE: z.string().min(1).default("shop"),
});

export type EdgeConfig = ReturnType<typeof parseEdgeConfig>;

/** Parses the edge's environment once at start-up; fails fast naming every bad variable. */
export function parseEdgeConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(edgeEnvSchema, env);
}

/** Upstream name → base URL: the domain of each `shop.<domain>.v1` package the edge routes to. */
export function upstreamUrls(config: EdgeConfig): Readonly<Record<string, string>> {
  return {
    user: config.USER_URL,
    product: config.PRODUCT_URL,
    order: config.ORDER_URL,
    cart: config.CART_URL,
    payment: config.PAYMENT_URL,
    inventory: config.INVENTORY_URL,
    notification: config.NOTIFICATION_URL,
  };
}
