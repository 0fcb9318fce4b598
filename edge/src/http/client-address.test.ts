import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { clientAddressOf } from "./client-address.js";

const socketAddress = "192.0.2.1";

/** A request as the edge sees it: Node's parsed headers and the peer of the TCP connection. */
function request(forwardedFor?: string | string[]): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor };
  return { headers, socket: { remoteAddress: socketAddress } } as unknown as IncomingMessage;
}

describe("clientAddressOf", () => {
  it("with no trusted proxy (TRUST_PROXY false or 0) ignores X-Forwarded-For", () => {
    assert.equal(clientAddressOf(request("198.51.100.7"), 0), socketAddress);
    assert.equal(clientAddressOf(request(), 0), socketAddress);
  });

  it("behind one proxy (TRUST_PROXY true or 1) takes the last entry, the one the proxy appended", () => {
    assert.equal(clientAddressOf(request("10.9.9.9"), 1), "10.9.9.9");
    assert.equal(clientAddressOf(request("198.51.100.1, 10.9.9.9"), 1), "10.9.9.9");
    assert.equal(clientAddressOf(request("198.51.100.1,10.9.9.9 "), 1), "10.9.9.9");
    assert.equal(clientAddressOf(request(), 1), socketAddress, "no header: the socket");
    assert.equal(clientAddressOf(request(""), 1), socketAddress, "empty header: the socket");
    assert.equal(clientAddressOf(request("198.51.100.1, "), 1), socketAddress, "empty last entry");
  });

  it("behind two proxies takes the second entry from the end, the one the outer proxy wrote", () => {
    // The CDN saw the client at 203.0.113.7 and appended it; the load balancer appended the CDN's 10.0.0.1.
    assert.equal(clientAddressOf(request("203.0.113.7, 10.0.0.1"), 2), "203.0.113.7");
    assert.equal(clientAddressOf(request(" 203.0.113.7 ,10.0.0.1"), 2), "203.0.113.7");
    // Three proxies: the outermost is the third from the end.
    assert.equal(clientAddressOf(request("203.0.113.7, 10.0.0.1, 10.0.0.2"), 3), "203.0.113.7");
  });

  it("is not moved by entries the client writes before the proxies' own", () => {
    for (const forged of ["198.51.100.1", "198.51.100.1, 198.51.100.2", "evil,,", "  "]) {
      assert.equal(clientAddressOf(request(`${forged}, 203.0.113.7, 10.0.0.1`), 2), "203.0.113.7", forged);
    }
  });

  it("falls back to the socket when the header has fewer entries than trusted proxies", () => {
    // Did not come through both proxies: the lone entry may be the client's own words.
    assert.equal(clientAddressOf(request("198.51.100.1"), 2), socketAddress);
    assert.equal(clientAddressOf(request("198.51.100.1, 10.0.0.1"), 3), socketAddress);
    assert.equal(clientAddressOf(request(""), 2), socketAddress);
    assert.equal(clientAddressOf(request(), 2), socketAddress);
    assert.equal(clientAddressOf(request(",10.0.0.1"), 2), socketAddress, "an empty entry is no address");
  });

  it("reads repeated X-Forwarded-For headers as one list, in order", () => {
    assert.equal(clientAddressOf(request(["198.51.100.1, 203.0.113.7", "10.0.0.1"]), 2), "203.0.113.7");
    assert.equal(clientAddressOf(request(["198.51.100.1", "203.0.113.7, 10.0.0.1"]), 2), "203.0.113.7");
    assert.equal(clientAddressOf(request(["198.51.100.1", "203.0.113.7", "10.0.0.1"]), 1), "10.0.0.1");
  });

  it("reads repeated headers the way Node's HTTP parser hands them over", async () => {
    const seen = await addressOverHttp(
      ["X-Forwarded-For: 198.51.100.1", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-For: 10.0.0.1"],
      2,
    );
    assert.equal(seen, "203.0.113.7");
  });
});

/** Sends a request with `headerLines` on a raw connection and returns clientAddressOf of what the server parsed. */
async function addressOverHttp(headerLines: readonly string[], trustedProxies: number): Promise<string> {
  let address = "";
  const server = createServer((req, res) => {
    address = clientAddressOf(req, trustedProxies);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write(`GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headerLines.join("\r\n")}\r\n\r\n`),
      );
      socket.on("error", reject);
      socket.on("close", () => resolve());
      socket.resume();
    });
    return address;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
