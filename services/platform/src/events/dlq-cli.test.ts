import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { toBinary } from "@bufbuild/protobuf";
import { OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { headers as natsHeaders } from "nats";
import { deadLetterHeader, deadLetterSubject } from "./dead-letter.js";
import { parseDlqArgs } from "./dlq-cli.js";
import { createEvent } from "./event-codec.js";
import { namespacedStream, namespacedSubject } from "./namespace.js";
import { deadLetterStream, domainStream } from "./streams.js";
import { createEventsFixture, type EventsFixture, natsUrl } from "./test-fixture.js";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

describe("dlq command line", () => {
  test("parses commands and rejects bad input with a message", () => {
    assert.deepEqual(parseDlqArgs(["list"]), { kind: "list", limit: 100 });
    assert.deepEqual(parseDlqArgs(["list", "--limit", "5", "--namespace", "t1"]), {
      kind: "list",
      limit: 5,
      namespace: "t1",
    });
    assert.deepEqual(parseDlqArgs(["show", "42"]), { kind: "show", seq: 42 });
    assert.deepEqual(parseDlqArgs(["redrive", "--all"]), { kind: "redrive", target: "all" });
    assert.deepEqual(parseDlqArgs(["redrive", "7"]), { kind: "redrive", target: 7 });
    assert.deepEqual(parseDlqArgs([]), { kind: "help" });
    for (const bad of [
      ["show"],
      ["show", "0"],
      ["show", "-1"],
      ["show", "1.5"],
      ["redrive", "x"],
      ["nope"],
    ]) {
      assert.equal(parseDlqArgs(bad).kind, "error", bad.join(" "));
    }
    assert.match(
      (parseDlqArgs(["show", "abc"]) as { message: string }).message,
      /positive integer, got "abc"/,
    );
    assert.match((parseDlqArgs(["list", "--namespace"]) as { message: string }).message, /--namespace needs/);
  });

  describe("against real JetStream", () => {
    let fx: EventsFixture;
    const orderStream = domainStream("order");

    before(async () => {
      fx = await createEventsFixture([orderStream, deadLetterStream]);
    });
    after(() => fx.close());

    /** Runs the command on the fixture's namespace, named by `--namespace` or else by EVENTS_NAMESPACE. */
    async function cli(...args: string[]) {
      const byEnvironment = args[0] === "--env";
      const rest = byEnvironment ? args.slice(1) : [...args, "--namespace", fx.namespace];
      try {
        const { stdout, stderr } = await run(
          process.execPath,
          ["--import", "tsx", "scripts/dlq.ts", ...rest],
          {
            cwd: repoRoot,
            env: {
              ...process.env,
              NATS_URL: natsUrl(),
              ...(byEnvironment ? { EVENTS_NAMESPACE: fx.namespace } : {}),
            },
            timeout: 30_000,
          },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    }

    test("list, show and redrive --all a parked event; unknown seq is a clear error", async () => {
      const event = createEvent(OrderConfirmedSchema, { orderId: `cli-${randomUUID()}`, userId: "u1" });
      const original = namespacedSubject(fx.namespace, OrderConfirmedSchema.typeName);
      const h = natsHeaders();
      h.set(deadLetterHeader.subject, original);
      h.set(deadLetterHeader.stream, namespacedStream(fx.namespace, orderStream.name));
      h.set(deadLetterHeader.sequence, "9");
      h.set(deadLetterHeader.consumer, "notification-orders");
      h.set(deadLetterHeader.error, "template missing");
      h.set(deadLetterHeader.attempts, "5");
      h.set(deadLetterHeader.msgId, event.eventId);
      const ack = await fx.nats.js.publish(
        deadLetterSubject(fx.namespace, original),
        toBinary(OrderConfirmedSchema, event),
        { headers: h },
      );

      const list = await cli("list");
      assert.equal(list.code, 0, list.stderr);
      // The services' EVENTS_NAMESPACE names the same streams as the flag.
      assert.equal((await cli("--env", "list")).stdout, list.stdout);
      assert.match(
        list.stdout,
        new RegExp(`^${ack.seq}\\t.*\\t5\\tnotification-orders\\t${original}\\ttemplate missing$`, "m"),
      );

      const show = await cli("show", String(ack.seq));
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, new RegExp(`"orderId": "${event.orderId}"`));
      assert.match(show.stdout, /error: +template missing/);

      const missing = await cli("show", String(ack.seq + 1000));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no dead letter with sequence/);

      const bad = await cli("redrive", "one");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /positive integer/);

      const redriven = await cli("redrive", "--all");
      assert.equal(redriven.code, 0, redriven.stderr);
      assert.match(redriven.stdout, /1 dead letter\(s\) redriven/);
      const stored = await fx.nats.jsm.streams.getMessage(namespacedStream(fx.namespace, orderStream.name), {
        last_by_subj: original,
      });
      assert.deepEqual(stored.data, toBinary(OrderConfirmedSchema, event));
      assert.equal(stored.header.get("Nats-Msg-Id"), `${event.eventId}:redrive:${ack.seq}`);
      assert.match((await cli("list")).stdout, /no dead letters/);
    });
  });
});
