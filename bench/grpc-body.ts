import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";

/**
 * Writes one gRPC-framed request message to a temporary file, the form h2load and the latency probe
 * send as a request body.
 */
export async function writeGrpcRequestFile<Desc extends DescMessage>(
  name: string,
  schema: Desc,
  init: MessageInitShape<Desc>,
): Promise<string> {
  const payload = toBinary(schema, create(schema, init));
  const framed = Buffer.alloc(5 + payload.byteLength);
  framed.writeUInt32BE(payload.byteLength, 1);
  framed.set(payload, 5);
  const file = join(tmpdir(), `${name}-${process.pid}.bin`);
  await writeFile(file, framed);
  return file;
}
