/** The currency codes of the ICU data Node ships (`Intl.supportedValuesOf`), upper case, e.g. "USD". */
const currencyCodes: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));

/**
 * Whether `code` is one of the codes `Intl.supportedValuesOf("currency")` lists, exactly as listed
 * (upper case). On Node 20 that is 162 codes: the currencies in use, a few recently replaced ones
 * (e.g. `HRK`, `SLL`), and the units of account `XDR` (IMF special drawing rights) and `XSU` (sucre).
 * Not accepted: `XXX` (no currency), `XTS` (testing), the precious metals (`XAU`, `XAG`, `XPT`,
 * `XPD`), the bond-market units (`XBA`…`XBD`), fund codes such as `USN`, `CLF` or `CHE`, lower-case
 * spellings, and made-up codes such as `XYZ`. The list comes with the runtime's ICU data, so a Node
 * upgrade can add or drop a code.
 *
 * Why not just /^[A-Z]{3}$/: a price in "XYZ" passes that, then is copied into orders and payments
 * that no one can settle or even format (Intl.NumberFormat shows the raw code).
 */
export function isCurrencyCode(code: string): boolean {
  return currencyCodes.has(code);
}
