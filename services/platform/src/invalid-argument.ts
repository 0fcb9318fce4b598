import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The InvalidArgument for a bad request field: the message is the field's proto name followed by the
 * problem, `name must be at most 200 characters`, `page_size must not be negative`.
 *
 * Why one constructor: each service used to word these its own way (`name: is required` in one,
 * `name is required` in the next), and REST clients show the message next to the form field it names.
 * One style lets a caller read every service's errors alike, and a test look for the field at the
 * start of the message.
 */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field} ${problem}`, Code.InvalidArgument);
}
