import { create, createFileRegistry, type Message } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  MethodOptions_IdempotencyLevel,
} from "@bufbuild/protobuf/wkt";

export type EchoRequest = Message<"shop.testing.v1.EchoRequest"> & { text: string };
export type EchoResponse = Message<"shop.testing.v1.EchoResponse"> & { text: string };

const textField = {
  name: "text",
  jsonName: "text",
  number: 1,
  type: FieldDescriptorProto_Type.STRING,
  label: FieldDescriptorProto_Label.OPTIONAL,
};
const io = { inputType: ".shop.testing.v1.EchoRequest", outputType: ".shop.testing.v1.EchoResponse" };

const file: FileDescriptorProto = create(FileDescriptorProtoSchema, {
  name: "shop/testing/v1/echo.proto",
  package: "shop.testing.v1",
  syntax: "proto3",
  messageType: [
    { name: "EchoRequest", field: [textField] },
    { name: "EchoResponse", field: [textField] },
  ],
  service: [
    {
      name: "EchoService",
      method: [
        {
          name: "Read",
          ...io,
          options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS },
        },
        { name: "Put", ...io, options: { idempotencyLevel: MethodOptions_IdempotencyLevel.IDEMPOTENT } },
        { name: "Write", ...io },
        {
          name: "Watch",
          ...io,
          serverStreaming: true,
          options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS },
        },
      ],
    },
  ],
});

const registry = createFileRegistry(file, () => undefined);

export const EchoRequestSchema = registry.getMessage(
  "shop.testing.v1.EchoRequest",
) as GenMessage<EchoRequest>;
export const EchoResponseSchema = registry.getMessage(
  "shop.testing.v1.EchoResponse",
) as GenMessage<EchoResponse>;

type Unary = { methodKind: "unary"; input: typeof EchoRequestSchema; output: typeof EchoResponseSchema };

/**
 * A tiny gRPC service built from a descriptor at runtime, with one method per idempotency level
 * (Read: NO_SIDE_EFFECTS, Put: IDEMPOTENT, Write: none) and a server stream (Watch). Why: client
 * behaviour that depends on the proto's `idempotency_level` must be tested against a real server
 * without adding test-only contracts to `proto/`. Typed like protoc-gen-es output.
 */
export const EchoService = registry.getService("shop.testing.v1.EchoService") as GenService<{
  read: Unary;
  put: Unary;
  write: Unary;
  watch: {
    methodKind: "server_streaming";
    input: typeof EchoRequestSchema;
    output: typeof EchoResponseSchema;
  };
}>;
