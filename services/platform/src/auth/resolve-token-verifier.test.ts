import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { createLogger } from "../log.js";
import { createServiceResources, type ServiceResources } from "../service-resources.js";
import { startTestGrpcServer, type TestGrpcServer } from "../testing/grpc-server.js";
import { resolveTokenVerifier } from "./resolve-token-verifier.js";
import { createTestTokenIssuer } from "./testing.js";

const logger = createLogger({ service: "resolve-verifier-test", level: "silent" });

/** A resource stack that also counts what was registered on it. */
function countingResources(): ServiceResources & { readonly registered: () => number } {
  const inner = createServiceResources(logger);
  let count = 0;
  return {
    defer(close) {
      count++;
      inner.defer(close);
    },
    close: () => inner.close(),
    registered: () => count,
  };
}

describe("resolveTokenVerifier", () => {
  const servers: TestGrpcServer[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });

  test("a verifier passed in is used as it is and nothing is registered for shutdown", async () => {
    const issuer = await createTestTokenIssuer();
    const resources = countingResources();
    const config = {
      USER_SERVICE_URL: "http://127.0.0.1:1",
      JWT_ISSUER: issuer.issuer,
      JWT_AUDIENCE: issuer.audience,
      UPSTREAM_RETRY_ATTEMPTS: 3,
    };
    const verifier = resolveTokenVerifier(config, issuer.verifier, { logger, resources });
    assert.equal(verifier, issuer.verifier);
    assert.equal(resources.registered(), 0);
  });

  test("without one, tokens are verified with the user service's keys and its client closes with the service", async () => {
    const issuer = await createTestTokenIssuer();
    const server = await startTestGrpcServer((router) =>
      router.service(UserService, {
        async getPublicKeys() {
          const keys = await issuer.fetchKeys();
          return { keys: keys.map((jwk) => ({ ...jwk }) as Record<string, string>) };
        },
      }),
    );
    servers.push(server);
    const resources = countingResources();
    const verifier = resolveTokenVerifier(
      {
        USER_SERVICE_URL: server.baseUrl,
        JWT_ISSUER: issuer.issuer,
        JWT_AUDIENCE: issuer.audience,
        UPSTREAM_RETRY_ATTEMPTS: 3,
      },
      undefined,
      { logger, resources },
    );
    const userId = randomUUID();
    const identity = await verifier.verify(await issuer.sign({ userId, email: "a@example.com" }));
    assert.equal(identity.userId, userId);
    assert.equal(resources.registered(), 1);
    await resources.close();
  });

  for (const attempts of [1, 3]) {
    test(`UPSTREAM_RETRY_ATTEMPTS=${attempts}: an unavailable user service is asked ${attempts} time(s) per key fetch`, async () => {
      let calls = 0;
      const server = await startTestGrpcServer((router) =>
        router.service(UserService, {
          getPublicKeys() {
            calls++;
            throw new ConnectError("down for the test", Code.Unavailable);
          },
        }),
      );
      servers.push(server);
      const resources = countingResources();
      const issuer = await createTestTokenIssuer();
      const verifier = resolveTokenVerifier(
        {
          USER_SERVICE_URL: server.baseUrl,
          JWT_ISSUER: issuer.issuer,
          JWT_AUDIENCE: issuer.audience,
          UPSTREAM_RETRY_ATTEMPTS: attempts,
        },
        undefined,
        { logger, resources },
      );
      const token = await issuer.sign({ userId: randomUUID(), email: "b@example.com" });
      await assert.rejects(verifier.verify(token), (error: unknown) => {
        return ConnectError.from(error).code === Code.Unavailable;
      });
      assert.equal(calls, attempts);
      await resources.close();
    });
  }
});
