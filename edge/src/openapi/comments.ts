import type {
  DescEnum,
  DescEnumValue,
  DescField,
  DescFile,
  DescMessage,
  DescMethod,
  DescService,
} from "@bufbuild/protobuf";

type Commented = DescMessage | DescField | DescEnum | DescEnumValue | DescService | DescMethod;

/**
 * The leading comment of a descriptor from its file's source code info, trimmed, or undefined. Why
 * our own lookup: the source path of an element is a short computation (FileDescriptorProto field
 * numbers plus indexes), and it keeps the edge free of code-generator packages.
 */
export function commentOf(desc: Commented): string | undefined {
  const path = sourcePathOf(desc);
  const location = fileOf(desc).proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === path.length && l.path.every((n, i) => n === path[i]),
  );
  const text = location?.leadingComments ?? location?.trailingComments;
  if (text === undefined) return undefined;
  const lines = text.split("\n").map((line) => (line.startsWith(" ") ? line.slice(1) : line));
  const joined = lines.join("\n").trim();
  return joined === "" ? undefined : joined;
}

function fileOf(desc: Commented): DescFile {
  switch (desc.kind) {
    case "enum_value":
      return desc.parent.file;
    case "field":
      return desc.parent.file;
    case "rpc":
      return desc.parent.file;
    default:
      return desc.file;
  }
}

// FileDescriptorProto / DescriptorProto / EnumDescriptorProto / ServiceDescriptorProto field numbers.
const fileMessageType = 4;
const fileEnumType = 5;
const fileService = 6;
const messageField = 2;
const messageNested = 3;
const messageEnum = 4;
const enumValue = 2;
const serviceMethod = 2;

function sourcePathOf(desc: Commented): number[] {
  switch (desc.kind) {
    case "message":
      return desc.parent
        ? [...sourcePathOf(desc.parent), messageNested, desc.parent.nestedMessages.indexOf(desc)]
        : [fileMessageType, desc.file.messages.indexOf(desc)];
    case "enum":
      return desc.parent
        ? [...sourcePathOf(desc.parent), messageEnum, desc.parent.nestedEnums.indexOf(desc)]
        : [fileEnumType, desc.file.enums.indexOf(desc)];
    case "field":
      return [...sourcePathOf(desc.parent), messageField, desc.parent.proto.field.indexOf(desc.proto)];
    case "enum_value":
      return [...sourcePathOf(desc.parent), enumValue, desc.parent.values.indexOf(desc)];
    case "service":
      return [fileService, desc.file.services.indexOf(desc)];
    case "rpc":
      return [...sourcePathOf(desc.parent), serviceMethod, desc.parent.methods.indexOf(desc)];
  }
}
