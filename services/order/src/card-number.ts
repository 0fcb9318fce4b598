/**
 * Runs of digits, each pair of digits joined by at most one space or dash, as people and forms write
 * card numbers, that stand on their own: not touching a letter, digit, `_` or `-` on either side. Why
 * standalone: inside a larger token (a UUID such as `10c243e9-3195-4954-9097-e70574656689`, or
 * `tok_2024-01-15-123456`) digit groups are part of an identifier, not card data.
 */
const digitRuns = /(?<![\w-])\d(?:[ -]?\d)*(?![\w-])/g;

/** An all-digit UUID (8-4-4-4-12): an identifier, however many digits it has. */
const uuidLayout = /^\d{8}-\d{4}-\d{4}-\d{4}-\d{12}$/;

/**
 * True when `text` holds something that looks like a payment card number (PAN): a standalone run of
 * 13 to 19 digits, grouped by spaces or dashes or not ("4242 4242 4242 4242", "3782-822463-10005"),
 * or a longer grouped run ("4242 4242 4242 4242 1234": a card number with more digits after it).
 *
 * Why: the API takes only payment-provider tokens; a raw card number must never be stored, logged or
 * sent on, so it is refused on sight. Deliberately no Luhn check: a mistyped card number is still
 * card data. An ungrouped run of 20+ digits (a numeric id) and provider tokens such as `tok_visa` or
 * UUIDs do not match.
 */
export function looksLikeCardNumber(text: string): boolean {
  for (const [run] of text.matchAll(digitRuns)) {
    const digits = run.replace(/[ -]/g, "").length;
    if (digits >= 13 && digits <= 19) return true;
    if (digits > 19 && run.length > digits && !uuidLayout.test(run)) return true;
  }
  return false;
}
