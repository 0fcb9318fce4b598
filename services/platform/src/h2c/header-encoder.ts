/**
 * Static-table entries (RFC 7541 Appendix A) for the fields a gRPC client sends on every call.
 * Exact matches are one byte; for the others the name is an index and only the value is written.
 */
const fullMatch = new Map<string, { readonly value: string; readonly index: number }>([
  [":method", { value: "POST", index: 3 }],
  [":scheme", { value: "http", index: 6 }],
]);
const nameIndex = new Map([
  [":authority", 1],
  [":path", 4],
  ["content-type", 31],
  ["user-agent", 58],
  ["accept-encoding", 16],
]);

/**
 * Encodes request headers as an HPACK block (RFC 7541) of static-table references and literals
 * "without indexing", never adding to the dynamic table.
 *
 * Why not the dynamic table: it would save a few dozen bytes per call on loopback, but would make
 * the encoder stateful per connection and bound to the peer's SETTINGS_HEADER_TABLE_SIZE; a
 * stateless encoder cannot desynchronise from the peer. No Huffman coding, for the same reason of
 * cost over bytes. Names must be lowercase; values are byte strings (Latin-1), as `Headers` holds them.
 */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [name: string, value: string]>): Buffer {
  let size = 0;
  for (const [name, value] of fields) {
    if (fullMatch.get(name)?.value === value) size += 1;
    else {
      const index = nameIndex.get(name);
      size += index !== undefined ? integerSize(index, 4) : 1 + integerSize(name.length, 7) + name.length;
      size += integerSize(value.length, 7) + value.length;
    }
  }
  const block = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const [name, value] of fields) {
    const exact = fullMatch.get(name);
    if (exact?.value === value) {
      block[offset++] = 0x80 | exact.index;
      continue;
    }
    const index = nameIndex.get(name);
    if (index !== undefined) offset = writeInteger(block, offset, index, 4, 0x00);
    else {
      block[offset++] = 0x00;
      offset = writeString(block, offset, name);
    }
    offset = writeString(block, offset, value);
  }
  return block;
}

/** Below this length a string is copied byte by byte in JS: cheaper than a call into `Buffer#write`. */
const shortString = 64;

function writeString(block: Buffer, offset: number, text: string): number {
  let next = writeInteger(block, offset, text.length, 7, 0x00);
  if (text.length >= shortString) return next + block.write(text, next, "latin1");
  // Latin-1: each character's low byte, as `Buffer#write(text, "latin1")` writes it.
  for (let i = 0; i < text.length; i++) block[next++] = text.charCodeAt(i) & 0xff;
  return next;
}

/** HPACK integer (RFC 7541 §5.1): `prefixBits` bits in the first byte, the rest 7 bits per byte. */
function writeInteger(
  block: Buffer,
  offset: number,
  value: number,
  prefixBits: number,
  pattern: number,
): number {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) {
    block[offset++] = pattern | value;
    return offset;
  }
  block[offset++] = pattern | limit;
  let rest = value - limit;
  while (rest >= 0x80) {
    block[offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  block[offset++] = rest;
  return offset;
}

function integerSize(value: number, prefixBits: number): number {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) return 1;
  let size = 2;
  for (let rest = value - limit; rest >= 0x80; rest >>>= 7) size++;
  return size;
}
