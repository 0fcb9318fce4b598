// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const anyControl = /[\u0000-\u001f\u007f-\u009f]/;
/** The same without tab, line feed and carriage return, which a multi-line text legitimately holds. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlOutsideLineLayout = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * The first control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) in `text`, as
 * `U+XXXX`, or undefined when there is none. With `multiline`, tab, line feed and carriage return are
 * allowed (a textarea sends line breaks as CR LF).
 *
 * Why every service checks caller text with this before storing or searching it: control characters
 * are never meant in a name, an address line or a search term, and U+0000 cannot be stored at all —
 * Postgres `text` rejects it, which would otherwise surface as an Internal error for the caller's
 * mistake. Services build their own InvalidArgument from the result, in their own message style.
 */
export function findControlCharacter(
  text: string,
  options: { multiline?: boolean } = {},
): string | undefined {
  const found = (options.multiline ? controlOutsideLineLayout : anyControl).exec(text)?.[0];
  return found === undefined
    ? undefined
    : `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}
