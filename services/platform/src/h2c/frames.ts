/** HTTP/2 frame types (RFC 9113 §6) the client reads or writes. */
export const FrameType = {
  data: 0x0,
  headers: 0x1,
  priority: 0x2,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

/** Frame flags (RFC 9113 §6); one bit means different things per type, hence the aliases. */
export const Flag = { endStream: 0x1, ack: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const Setting = {
  headerTableSize: 0x1,
  enablePush: 0x2,
  maxConcurrentStreams: 0x3,
  initialWindowSize: 0x4,
  maxFrameSize: 0x5,
} as const;

/** Error codes for RST_STREAM and GOAWAY (RFC 9113 §7). */
export const ErrorCode = {
  noError: 0x0,
  protocolError: 0x1,
  internalError: 0x2,
  flowControlError: 0x3,
  frameSizeError: 0x6,
  refusedStream: 0x7,
  cancel: 0x8,
  compressionError: 0x9,
  enhanceYourCalm: 0xb,
  inadequateSecurity: 0xc,
} as const;

/** What a client sends first on a prior-knowledge h2c connection (RFC 9113 §3.4). */
export const connectionPreface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** One frame as read off the wire; `payload` is a view into the socket's read chunk, not a copy. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** Encodes one frame; the 9-byte header and the payload in one buffer, so one socket write. */
export function encodeFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.byteLength ?? 0;
  const frame = Buffer.allocUnsafe(9 + length);
  frame.writeUIntBE(length, 0, 3);
  frame[3] = type;
  frame[4] = flags;
  frame.writeUInt32BE(streamId & 0x7fffffff, 5);
  if (payload) frame.set(payload, 9);
  return frame;
}

/** Encodes a frame whose payload is one 32-bit number: WINDOW_UPDATE, RST_STREAM. */
export function encodeUint32Frame(type: number, streamId: number, value: number): Buffer {
  const frame = encodeFrame(type, 0, streamId, new Uint8Array(4));
  frame.writeUInt32BE(value >>> 0, 9);
  return frame;
}

/**
 * Splits a byte stream into frames. Bytes of a partial frame are kept until the rest arrives; a
 * chunk holding whole frames is read in place, without copying.
 */
export class FrameReader {
  private pending: Buffer | undefined;

  /** @param maxFrameSize the SETTINGS_MAX_FRAME_SIZE this side advertised; a larger frame is an error. */
  constructor(private readonly maxFrameSize: number) {}

  /** Calls `onFrame` for every whole frame now available; throws a FrameSizeError on an oversize one. */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let offset = 0;
    while (buffer.byteLength - offset >= 9) {
      const length = buffer.readUIntBE(offset, 3);
      if (length > this.maxFrameSize) {
        throw new ConnectionError(
          ErrorCode.frameSizeError,
          `peer sent a ${length}-byte frame; the limit is ${this.maxFrameSize}`,
        );
      }
      if (buffer.byteLength - offset < 9 + length) break;
      onFrame({
        type: buffer[offset + 3] as number,
        flags: buffer[offset + 4] as number,
        streamId: buffer.readUInt32BE(offset + 5) & 0x7fffffff,
        payload: buffer.subarray(offset + 9, offset + 9 + length),
      });
      offset += 9 + length;
    }
    if (offset < buffer.byteLength) {
      // Copy, so that a few bytes of a partial frame do not keep a whole read chunk alive.
      this.pending = Buffer.from(buffer.subarray(offset));
    }
  }
}

/**
 * The peer broke the protocol in a way that ends the whole connection (RFC 9113 §5.4.1): this side
 * sends GOAWAY with `errorCode` and closes.
 */
export class ConnectionError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The payload of a DATA or HEADERS frame without its padding and, for HEADERS with the PRIORITY
 * flag (pass `Flag.priority`; 0 for DATA), the five bytes of priority fields, which this side ignores.
 */
export function unpaddedPayload(frame: Frame, priorityFieldsFlag: number): Buffer {
  let payload = frame.payload;
  let padLength = 0;
  if (frame.flags & Flag.padded) {
    padLength = payload[0] ?? 0;
    payload = payload.subarray(1);
  }
  if (frame.flags & priorityFieldsFlag) payload = payload.subarray(5);
  if (padLength > payload.byteLength)
    throw new ConnectionError(ErrorCode.protocolError, "padding longer than the frame");
  return payload.subarray(0, payload.byteLength - padLength);
}
