import { codePointLength } from "@shop/platform/code-point-length";
import { invalidArgument } from "@shop/platform/invalid-argument";
import { requiredText } from "@shop/platform/text-fields";

/** A registration that passed every rule of RegisterRequest, normalised for storage. */
export interface Registration {
  /** Lower case, trimmed. */
  readonly email: string;
  readonly password: string;
  /** Trimmed. */
  readonly name: string;
}

export const emailMaxLength = 254;
export const passwordMinLength = 8;
export const passwordMaxLength = 128;
export const nameMaxLength = 100;

// local part: printable ASCII without specials that need quoting; domain: dot-separated labels of
// letters, digits and inner hyphens, at least two labels. Deliberately stricter than RFC 5321.
const localPart = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const domainLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lower-cased, trimmed form under which an email is stored and looked up. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Checks an email's syntax and returns it normalised, or throws InvalidArgument naming `email`.
 * Why strict syntax: the address is the sign-in name and the notification target, so a typo caught at
 * registration saves an unusable account.
 */
export function validateEmail(raw: string): string {
  const email = normalizeEmail(raw);
  if (email === "") throw invalidArgument("email", "is required");
  if (email.length > emailMaxLength)
    throw invalidArgument("email", `must be at most ${emailMaxLength} characters`);
  const at = email.lastIndexOf("@");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const labels = domain.split(".");
  const valid =
    at > 0 &&
    local.length <= 64 &&
    localPart.test(local) &&
    labels.length >= 2 &&
    labels.every((label) => domainLabel.test(label)) &&
    !/^\d+$/.test(labels[labels.length - 1] ?? "");
  if (!valid) throw invalidArgument("email", "is not a valid email address");
  return email;
}

/**
 * Checks the rules of RegisterRequest (email, password 8 to 128 characters, name 1 to 100 after
 * trimming) and returns the normalised registration, or throws InvalidArgument naming the first bad
 * field, so REST clients can point at the right form field.
 */
export function validateRegistration(request: {
  email: string;
  password: string;
  name: string;
}): Registration {
  const email = validateEmail(request.email);
  const passwordLength = codePointLength(request.password);
  if (passwordLength === 0) throw invalidArgument("password", "is required");
  if (passwordLength < passwordMinLength || passwordLength > passwordMaxLength) {
    throw invalidArgument("password", `must be ${passwordMinLength} to ${passwordMaxLength} characters`);
  }
  const name = requiredText("name", request.name, { maxLength: nameMaxLength });
  return { email, password: request.password, name };
}

/**
 * Checks that a login request carries both fields. Only presence: anything else answers the same
 * Unauthenticated as a wrong password, so Login never says which emails are well-formed or known.
 */
export function validateLogin(request: { email: string; password: string }): {
  email: string;
  password: string;
} {
  const email = normalizeEmail(request.email);
  if (email === "") throw invalidArgument("email", "is required");
  if (request.password === "") throw invalidArgument("password", "is required");
  return { email, password: request.password };
}
