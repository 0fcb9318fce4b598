/** Control characters a multi-line text (a description, a message body) legitimately holds. */
const lineLayout = new Set(["\t", "\n", "\r"]);

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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  const controls = /[\u0000-\u001f\u007f-\u009f]/g;
  for (const [character] of text.matchAll(controls)) {
    if (options.multiline && lineLayout.has(character)) continue;
    return `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return undefined;
}
