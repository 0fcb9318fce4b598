/**
 * A namespace isolates one set of JetStream streams and subjects from another on the same NATS server:
 * stream `SHOP_ORDER` becomes `t1_SHOP_ORDER` and subject `shop.order.v1.OrderPlaced` becomes
 * `t1.shop.order.v1.OrderPlaced`. Production runs without one; every test run picks its own, so runs
 * that overlap never read each other's events.
 */
export type Namespace = string | undefined;

const namespacePattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Rejects a namespace that would not be a valid single NATS subject token and stream-name prefix.
 * Why: a dot or wildcard in it would silently widen subscriptions (`a.>` capturing another run's events).
 */
export function assertNamespace(namespace: Namespace): void {
  if (namespace !== undefined && !namespacePattern.test(namespace)) {
    throw new RangeError(
      `invalid events namespace "${namespace}": use 1-64 letters, digits, "_" or "-" (no dots or wildcards)`,
    );
  }
}

/** The stream name as created on the server: `name` itself, or `<namespace>_<name>`. */
export function namespacedStream(namespace: Namespace, name: string): string {
  assertNamespace(namespace);
  return namespace ? `${namespace}_${name}` : name;
}

/** The subject as seen on the wire: `subject` itself, or `<namespace>.<subject>`. */
export function namespacedSubject(namespace: Namespace, subject: string): string {
  assertNamespace(namespace);
  return namespace ? `${namespace}.${subject}` : subject;
}

/**
 * The logical subject of a wire subject: the namespace prefix removed. Why: event types are looked up
 * by their proto name, which never carries the namespace. Returns undefined for a subject outside the
 * namespace, which a consumer must treat as not its own.
 */
export function stripNamespace(namespace: Namespace, wireSubject: string): string | undefined {
  if (!namespace) return wireSubject;
  const prefix = `${namespace}.`;
  return wireSubject.startsWith(prefix) ? wireSubject.slice(prefix.length) : undefined;
}
