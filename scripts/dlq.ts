/**
 * Operator command for the dead-letter stream: `npm run dlq -- list | show <seq> | redrive <seq> | redrive --all`
 * (or `node --import tsx scripts/dlq.ts …`). Connects to NATS_URL.
 */
import { parseConfig } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { connectJetStream } from "@shop/platform/events/connection";
import { dlqUsage, parseDlqArgs, runDlqCommand } from "@shop/platform/events/dlq-cli";
import { z } from "zod";

const config = parseConfig(
  z.object({
    NATS_URL: z.string().default("nats://127.0.0.1:4222"),
    // The services' own variable: run inside a service's container, the command sees its streams.
    ...eventsServiceEnv,
  }),
);

const command = parseDlqArgs(process.argv.slice(2));
if (command.kind === "help") {
  console.log(dlqUsage);
} else if (command.kind === "error") {
  console.error(`dlq: ${command.message}\n${dlqUsage}`);
  process.exitCode = 2;
} else {
  const namespace = command.namespace ?? config.EVENTS_NAMESPACE;
  const nats = await connectJetStream({ url: config.NATS_URL, name: "dlq-cli" }).catch((error: Error) => {
    console.error(`dlq: cannot connect to NATS at ${config.NATS_URL}: ${error.message}`);
    process.exit(1);
  });
  try {
    process.exitCode = await runDlqCommand(
      command,
      { js: nats.js, jsm: nats.jsm, namespace },
      { out: (line) => console.log(line), err: (line) => console.error(line) },
    );
  } finally {
    await nats.close();
  }
}
