import { type Context, context, createContextKey, type Tracer, trace } from "@opentelemetry/api";

/** The instrumentation scope of every span the platform makes. */
export const instrumentationScope = "@shop/platform";

/** Attribute naming the Shop service that made a span, for processes that run several (tests). */
export const serviceAttribute = "shop.service";

/**
 * The platform's tracer. Why not cached: the OpenTelemetry global may be replaced (a test shuts
 * tracing down and sets it up again), and a tracer fetched earlier would keep feeding the old
 * provider; fetching is a map lookup in the SDK.
 */
export function platformTracer(): Tracer {
  return trace.getTracer(instrumentationScope);
}

const serviceKey = createContextKey("shop.service");

/** `ctx` remembering which service is serving, so client and producer spans can name it too. */
export function withServiceName(ctx: Context, service: string): Context {
  return ctx.setValue(serviceKey, service);
}

/** The service serving in `ctx` (see `withServiceName`), if any. */
export function serviceNameOf(ctx: Context = context.active()): string | undefined {
  const service = ctx.getValue(serviceKey);
  return typeof service === "string" ? service : undefined;
}
