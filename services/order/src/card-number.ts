/** Runs of digits that may be grouped by spaces or dashes, as people and forms write card numbers. */
const digitRuns = /\d(?:[ -]*\d)*/g;

/**
 * True when `text` holds something that looks like a payment card number (PAN): a run of 13 to 19
 * digits, possibly grouped by spaces or dashes ("4242 4242 4242 4242", "3782-822463-10005").
 *
 * Why: the API takes only payment-provider tokens; a raw card number must never be stored, logged or
 * sent on, so it is refused on sight. Deliberately no Luhn check: a mistyped card number is still
 * card data. Longer digit runs (a numeric id of 20+ digits) and provider tokens such as `tok_visa`
 * or UUIDs do not match.
 */
export function looksLikeCardNumber(text: string): boolean {
  for (const [run] of text.matchAll(digitRuns)) {
    const digits = run.replace(/[ -]/g, "").length;
    if (digits >= 13 && digits <= 19) return true;
  }
  return false;
}
