/** The currency codes of the ICU data Node ships (`Intl.supportedValuesOf`), upper case, e.g. "USD". */
const currencyCodes: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));

/**
 * Whether `code` is an ISO 4217 currency code as the runtime knows it: three upper-case letters naming
 * a currency ICU lists (the ones in use, plus a few recently replaced). Funds and testing codes such
 * as `XXX` or `XTS`, and made-up ones such as `XYZ`, are not.
 *
 * Why not just /^[A-Z]{3}$/: a price in "XYZ" passes that, then is copied into orders and payments
 * that no one can settle or even format (Intl.NumberFormat shows the raw code).
 */
export function isCurrencyCode(code: string): boolean {
  return currencyCodes.has(code);
}
