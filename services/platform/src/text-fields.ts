import { codePointLength } from "./code-point-length.js";
import { findControlCharacter } from "./control-characters.js";
import { invalidArgument } from "./invalid-argument.js";

/** The limits of one caller-supplied text field. */
export interface TextRule {
  /** The most characters (code points, after trimming) the field may hold. */
  readonly maxLength: number;
  /** Allows tab, line feed and carriage return, for text a textarea fills (a description). */
  readonly multiline?: boolean;
}

/**
 * Trims a required text field and checks it: not empty, at most `rule.maxLength` characters, no
 * control characters. Returns the trimmed text; throws InvalidArgument naming `field` otherwise.
 */
export function requiredText(field: string, value: string, rule: TextRule): string {
  const trimmed = value.trim();
  if (trimmed === "") throw invalidArgument(field, "is required");
  return checkText(field, trimmed, rule);
}

/** The same for an optional field: empty (or only whitespace) is allowed and returned as "". */
export function optionalText(field: string, value: string, rule: TextRule): string {
  return checkText(field, value.trim(), rule);
}

/**
 * Why one rule for every text field (names, address lines, tokens, reasons, search terms): surrounding
 * whitespace is never meant and would make " Ada" a different name from "Ada"; lengths count Unicode
 * characters as the protos say, not UTF-16 units, so an emoji is one character in every service; and
 * control characters never belong in such text, while U+0000 cannot even be stored (Postgres `text`
 * refuses it, which would reach the caller as Internal). The message names the first control character
 * found, so a caller can see an invisible one.
 */
function checkText(field: string, trimmed: string, rule: TextRule): string {
  if (codePointLength(trimmed) > rule.maxLength) {
    throw invalidArgument(field, `must be at most ${rule.maxLength} characters`);
  }
  const multiline = rule.multiline ?? false;
  const control = findControlCharacter(trimmed, { multiline });
  if (control !== undefined) {
    const allowed = multiline ? " other than tab and line breaks" : "";
    throw invalidArgument(field, `must not contain control characters${allowed} (found ${control})`);
  }
  return trimmed;
}
