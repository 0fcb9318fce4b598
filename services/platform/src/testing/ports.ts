import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * A TCP port that was free a moment ago, on every interface. Prefer listening on port 0 where the code
 * under test allows it; this is for what must be told a port up front (child processes, config
 * objects). It is drawn from below the ephemeral range (see {@link ephemeralPortFloor}), so the many
 * client sockets a test run opens cannot take it before the child process binds it.
 */
export function freePort(): Promise<number> {
  // A port is the offset that shifts port 0 there.
  return freePortOffset([0], 20_000);
}

/** True when a listener could bind `port` on every interface right now (as the services bind it). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The lowest port the kernel hands out to outgoing connections (Linux's `ip_local_port_range`; the
 * IANA 49152 elsewhere). A fixed port chosen above it can be taken between the check and the bind by
 * any client socket on the machine, which is how a shifted `npm start` once failed with EADDRINUSE.
 */
export function ephemeralPortFloor(): number {
  ephemeralFloor ??= readEphemeralPortFloor();
  return ephemeralFloor;
}

let ephemeralFloor: number | undefined;

function readEphemeralPortFloor(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const floor = Number(low);
    if (Number.isInteger(floor) && floor > 1024) return floor;
  } catch {
    // not Linux: fall through
  }
  return 49_152;
}

/**
 * An offset that shifts every one of `basePorts` to a port that is bindable now and lies below the
 * ephemeral range, so no outgoing connection can take it before the child process listens. For
 * running a second copy of the system (SHOP_PORT_OFFSET) beside whatever else the machine runs.
 */
export async function freePortOffset(basePorts: readonly number[], minimumOffset = 10_000): Promise<number> {
  const highest = Math.max(...basePorts);
  const span = ephemeralPortFloor() - highest - minimumOffset;
  if (span <= 0) throw new Error(`no room below the ephemeral port range for ports up to ${highest}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = minimumOffset + randomInt(span);
    const free = await Promise.all(basePorts.map((port) => canBind(port + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error(`no offset found that frees all of ports ${basePorts.join(", ")}`);
}
