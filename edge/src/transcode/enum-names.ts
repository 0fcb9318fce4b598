import type { DescEnum, DescEnumValue } from "@bufbuild/protobuf";
import { badRequest } from "./bad-request.js";

/**
 * Resolves what a REST caller wrote for an enum to its proto name: the full name
 * (`ORDER_STATUS_CONFIRMED`), the short name without the enum's prefix (`CONFIRMED`, any case), or
 * the number (`2`). Why: ARCHITECTURE §6 promises both spellings, and proto3 JSON alone accepts only
 * the full name. Returns a number for a numeric value the enum does not declare (open enums keep
 * unknown values); throws InvalidArgument naming the field for anything else.
 */
export function resolveEnumValue(
  descEnum: DescEnum,
  input: string | number,
  fieldName: string,
): string | number {
  if (typeof input === "number" || /^-?\d+$/.test(input)) {
    const number = Number(input);
    if (!Number.isSafeInteger(number) || number < -(2 ** 31) || number >= 2 ** 31) {
      throw badRequest(`${fieldName}: ${input} is not a valid ${descEnum.name} number`);
    }
    return descEnum.value[number]?.name ?? number;
  }
  const found = findEnumValue(descEnum, input);
  if (!found) {
    const names = descEnum.values.map((v) => v.name).join(", ");
    throw badRequest(`${fieldName}: "${input}" is not a ${descEnum.name} (expected one of ${names})`);
  }
  return found.name;
}

function findEnumValue(descEnum: DescEnum, text: string): DescEnumValue | undefined {
  const exact = descEnum.values.find((v) => v.name === text);
  if (exact) return exact;
  const upper = text.toUpperCase();
  const prefix = descEnum.sharedPrefix === undefined ? "" : descEnum.sharedPrefix.toUpperCase();
  return descEnum.values.find((v) => v.name === upper || (prefix !== "" && v.name === `${prefix}${upper}`));
}
