import hpack from "hpack.js";
import { ConnectionError, ErrorCode } from "./frames.js";

/** One decoded header field; names arrive lowercase (RFC 9113 §8.2.1). */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/**
 * Decodes the peer's HPACK header blocks (RFC 7541) with hpack.js: Huffman coding and the dynamic
 * table are protocol machinery we should not hand-write. One decoder per connection, fed every
 * block in the order received (also for streams this side has already given up on), because the
 * dynamic table is shared state between the peer's encoder and this decoder.
 */
export class HeaderDecoder {
  private readonly decompressor = hpack.decompressor.create({ table: { size: 4096 } });
  private failure: Error | undefined;

  constructor() {
    // hpack.js reports a malformed block as an "error" event, synchronously, from execute().
    this.decompressor.on("error", (error) => {
      this.failure = error;
    });
  }

  decode(block: Uint8Array): HeaderField[] {
    this.decompressor.write(block);
    this.decompressor.execute();
    const fields: HeaderField[] = [];
    for (let field = this.decompressor.read(); field !== null; field = this.decompressor.read()) {
      fields.push(field);
    }
    if (this.failure) {
      const cause = this.failure;
      this.failure = undefined;
      // A block this side cannot decode leaves the shared table unknown: the connection is lost (RFC 9113 §4.3).
      throw new ConnectionError(ErrorCode.compressionError, `undecodable header block: ${cause.message}`, {
        cause,
      });
    }
    return fields;
  }
}
