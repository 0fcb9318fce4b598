import type { StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";

type AnyRequest = UnaryRequest | StreamRequest;
type AnyResponse = UnaryResponse | StreamResponse;

/**
 * Runs `next(req)` and reports exactly once when the RPC is over: for unary calls when the response
 * arrives or the call throws, for streaming calls when the response stream ends, fails or is
 * abandoned by the consumer. Logging and metrics both need "the end of the call", and for streams
 * that is not when `next` returns, so the subtle part lives here once.
 */
export async function observeCall(
  next: (req: AnyRequest) => Promise<AnyResponse>,
  req: AnyRequest,
  onEnd: (error: unknown) => void,
): Promise<AnyResponse> {
  let res: AnyResponse;
  try {
    res = await next(req);
  } catch (error) {
    onEnd(error);
    throw error;
  }
  if (!res.stream) {
    onEnd(undefined);
    return res;
  }
  return { ...res, message: observeStream(res.message, onEnd) };
}

async function* observeStream<T>(
  source: AsyncIterable<T>,
  onEnd: (error: unknown) => void,
): AsyncIterable<T> {
  let failure: unknown;
  try {
    yield* source;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    onEnd(failure);
  }
}
