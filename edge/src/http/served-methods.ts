/** The order methods are listed in, the RFC 9110 order; any other method a route uses goes last. */
const methodOrder = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * The methods the edge serves on some path: those of the REST routes, plus GET and HEAD (the health,
 * metrics and docs endpoints; HEAD wherever GET is) and OPTIONS (a CORS preflight is answered on every
 * path; a plain OPTIONS is not). Used for the `Allow` header of a refused CONNECT (RFC 9110 §15.5.6)
 * and for the methods a CORS preflight allows. Why derived: a route added to the contracts with a new
 * method must show up in both without anyone remembering these headers.
 */
export function servedMethods(routeMethods: Iterable<string>): string {
  const methods = new Set(["GET", "HEAD", "OPTIONS", ...routeMethods]);
  const rank = (method: string) => {
    const index = methodOrder.indexOf(method);
    return index === -1 ? methodOrder.length : index;
  };
  return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(", ");
}
