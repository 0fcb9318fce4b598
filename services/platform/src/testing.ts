/**
 * Helpers for tests that run against real infrastructure and must isolate each run. Imported as
 * `@shop/platform/testing`, never from production code (they are not in the main entry point).
 */
export { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from "./testing/database.js";
export { EchoRequestSchema, EchoResponseSchema, EchoService } from "./testing/echo-service.js";
export { startTestGrpcServer, type TestGrpcServer } from "./testing/grpc-server.js";
export { type Http2Peer, startHttp2Peer } from "./testing/http2-peer.js";
export { createLogSink, pluck } from "./testing/log-sink.js";
export { createTestStreamName, uniqueName } from "./testing/names.js";
export { freePort, freePortOffset } from "./testing/ports.js";
export { createTestRedisPrefix, type TestRedisOptions, type TestRedisPrefix } from "./testing/redis.js";
export { rejectionCode } from "./testing/rejection-code.js";
