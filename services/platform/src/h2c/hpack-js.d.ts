/** The part of hpack.js (which ships no types) that the header decoder uses. */
declare module "hpack.js" {
  interface DecodedField {
    readonly name: string;
    readonly value: string;
  }
  interface Decompressor {
    write(block: Uint8Array): void;
    execute(): void;
    read(): DecodedField | null;
    on(event: "error", listener: (error: Error) => void): void;
  }
  const hpack: { decompressor: { create(options: { table: { size: number } }): Decompressor } };
  export default hpack;
}
