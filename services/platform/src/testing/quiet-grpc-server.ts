import pino from "pino";
import { type GrpcServer, type GrpcServerOptions, startGrpcServer } from "../server/server.js";

/**
 * The platform gRPC server on a free port of 127.0.0.1, logging nothing. For tests of the server
 * itself (health, limits, deadlines); why one function: each such test repeated the same port, host
 * and silent-logger set-up around the services and options it was about.
 */
export function startQuietGrpcServer(
  options: Omit<GrpcServerOptions, "port" | "host" | "logger">,
): Promise<GrpcServer> {
  return startGrpcServer({ port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }), ...options });
}
