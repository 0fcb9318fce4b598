/**
 * The length of `text` in Unicode code points, the "characters" every length limit in the protos
 * counts: "é" and "😀" are one each, where `text.length` counts UTF-16 units and makes an emoji two.
 *
 * Why one function: each service used to count in its own way (and one counted UTF-16 units), so the
 * same 128-emoji id was within the limit in one service and over it in the next.
 */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}
