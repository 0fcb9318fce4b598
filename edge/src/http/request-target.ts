/** Origin given to origin-form targets so they parse as URLs; never shown to anyone. */
const placeholderOrigin = "http://edge.invalid";

/**
 * Parses an HTTP/1.1 request target (RFC 9112 §3.2) into a URL, or returns undefined when it is
 * malformed. An origin-form target (`/v1/cart?x=1`, the normal case) is always a path: it is
 * appended to a placeholder origin rather than resolved against one, because resolving made
 * `//evil.example/v1/cart` a network-path reference whose `evil.example` became the host and
 * `/v1/cart` the path, so a path that names no route was served as if it did. An absolute-form
 * target (`http://host/v1/cart`, as proxies send) is parsed as the URL it is; its host is ignored.
 */
export function parseRequestTarget(target: string): URL | undefined {
  try {
    return target.startsWith("/") ? new URL(`${placeholderOrigin}${target}`) : new URL(target);
  } catch {
    return undefined;
  }
}
