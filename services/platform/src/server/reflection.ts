import { type DescFile, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection as ReflectionV1,
  type ServerReflectionRequest,
} from "@shop/gen/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ReflectionV1Alpha } from "@shop/gen/grpc/reflection/v1alpha/reflection_pb";

/**
 * The answer to one reflection request, as a plain init object. The v1 and v1alpha protocols use
 * messages of identical shape under different package names, so one answer serves both.
 */
type ReflectionAnswer = Record<string, unknown>;

/** What reflection knows: every file that declares a served service, plus all their imports. */
interface DescriptorIndex {
  readonly serviceNames: string[];
  readonly fileByName: Map<string, DescFile>;
  readonly fileBySymbol: Map<string, DescFile>;
  readonly extensionsByType: Map<string, Map<number, DescFile>>;
}

/**
 * Builds `grpc.reflection.v1` and `v1alpha` implementations for the given services, so grpcurl and
 * `buf curl --reflect` can list and call a running service without a copy of its protos. Both
 * versions are served because older tools only speak v1alpha.
 */
export function createReflectionServices(services: readonly DescService[]) {
  const index = indexDescriptors([...services, ReflectionV1, ReflectionV1Alpha]);
  const impl = {
    async *serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequest>) {
      const sentFiles = new Set<string>();
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, ...answer(index, request, sentFiles) };
      }
    },
  };
  return {
    v1: { service: ReflectionV1, impl: impl as unknown as ServiceImpl<typeof ReflectionV1> },
    v1alpha: { service: ReflectionV1Alpha, impl: impl as unknown as ServiceImpl<typeof ReflectionV1Alpha> },
  };
}

function answer(
  index: DescriptorIndex,
  request: ServerReflectionRequest,
  sentFiles: Set<string>,
): ReflectionAnswer {
  const ask = request.messageRequest;
  switch (ask.case) {
    case "listServices":
      return {
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.serviceNames.map((name) => ({ name })) },
        },
      };
    case "fileByFilename":
      return filesAnswer(index.fileByName.get(ask.value), `file ${ask.value}`, sentFiles);
    case "fileContainingSymbol":
      return filesAnswer(index.fileBySymbol.get(stripDot(ask.value)), `symbol ${ask.value}`, sentFiles);
    case "fileContainingExtension": {
      const file = index.extensionsByType
        .get(stripDot(ask.value.containingType))
        ?.get(ask.value.extensionNumber);
      return filesAnswer(
        file,
        `extension ${ask.value.extensionNumber} of ${ask.value.containingType}`,
        sentFiles,
      );
    }
    case "allExtensionNumbersOfType": {
      const typeName = stripDot(ask.value);
      if (!index.fileBySymbol.has(typeName)) return notFound(`type ${ask.value}`);
      return {
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: {
            baseTypeName: typeName,
            extensionNumber: [...(index.extensionsByType.get(typeName)?.keys() ?? [])],
          },
        },
      };
    }
    default:
      return {
        messageResponse: {
          case: "errorResponse",
          value: { errorCode: Code.InvalidArgument, errorMessage: "empty or unknown reflection request" },
        },
      };
  }
}

/** Answers with the file and every import not yet sent on this stream, as protoc-style bytes. */
function filesAnswer(file: DescFile | undefined, what: string, sentFiles: Set<string>): ReflectionAnswer {
  if (!file) return notFound(what);
  const out: Uint8Array[] = [];
  const inThisAnswer = new Set<string>();
  const visit = (f: DescFile, requested: boolean) => {
    const name = f.proto.name;
    if (inThisAnswer.has(name) || (!requested && sentFiles.has(name))) return;
    inThisAnswer.add(name);
    sentFiles.add(name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dependency of f.dependencies) visit(dependency, false);
  };
  visit(file, true);
  return { messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } } };
}

function notFound(what: string): ReflectionAnswer {
  return {
    messageResponse: {
      case: "errorResponse",
      value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
    },
  };
}

function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}

function indexDescriptors(services: readonly DescService[]): DescriptorIndex {
  const index: DescriptorIndex = {
    serviceNames: [...new Set(services.map((s) => s.typeName))].sort(),
    fileByName: new Map(),
    fileBySymbol: new Map(),
    extensionsByType: new Map(),
  };
  const addExtension = (file: DescFile, extendee: string, number: number) => {
    const byNumber = index.extensionsByType.get(extendee) ?? new Map<number, DescFile>();
    index.extensionsByType.set(extendee, byNumber);
    byNumber.set(number, file);
  };
  const addMessage = (file: DescFile, message: DescMessage) => {
    index.fileBySymbol.set(message.typeName, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
    for (const nested of message.nestedEnums) index.fileBySymbol.set(nested.typeName, file);
    for (const ext of message.nestedExtensions) {
      index.fileBySymbol.set(ext.typeName, file);
      addExtension(file, ext.extendee.typeName, ext.number);
    }
  };
  const addFile = (file: DescFile) => {
    if (index.fileByName.has(file.proto.name)) return;
    index.fileByName.set(file.proto.name, file);
    for (const message of file.messages) addMessage(file, message);
    for (const e of file.enums) index.fileBySymbol.set(e.typeName, file);
    for (const ext of file.extensions) {
      index.fileBySymbol.set(ext.typeName, file);
      addExtension(file, ext.extendee.typeName, ext.number);
    }
    for (const service of file.services) {
      index.fileBySymbol.set(service.typeName, file);
      for (const method of service.methods)
        index.fileBySymbol.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dependency of file.dependencies) addFile(dependency);
  };
  for (const service of services) addFile(service.file);
  return index;
}
