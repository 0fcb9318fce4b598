import {
  type DeadLetterDeps,
  DeadLetterNotFoundError,
  listDeadLetters,
  redrive,
  showDeadLetter,
} from "./dlq.js";

export const dlqUsage = `usage: dlq <command> [--namespace <ns>]
  list [--limit <n>]    parked messages, oldest first (default limit 100)
  show <seq>            one dead letter: headers and the payload decoded as JSON
  redrive <seq>         republish it to its original subject and remove it from the DLQ
  redrive --all         the same for every dead letter
environment: NATS_URL (default nats://127.0.0.1:4222), EVENTS_NAMESPACE (as the services read it; --namespace wins)`;

/** A parsed command line; `error` set when it is not a valid one. */
export type DlqCommand =
  | { kind: "list"; limit: number; namespace?: string }
  | { kind: "show"; seq: number; namespace?: string }
  | { kind: "redrive"; target: number | "all"; namespace?: string }
  | { kind: "help" }
  | { kind: "error"; message: string };

function parseSeq(text: string | undefined, what: string): number | string {
  if (text === undefined) return `${what}: missing <seq>`;
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return `${what}: <seq> must be a positive integer, got "${text}"`;
  return Number(text);
}

/**
 * Parses the operator's arguments. Why separate from running them: bad input must produce a clear
 * message and exit code 2 before any connection is made, and this is testable without NATS.
 */
export function parseDlqArgs(argv: readonly string[]): DlqCommand {
  const args = [...argv];
  let namespace: string | undefined;
  const nsAt = args.indexOf("--namespace");
  if (nsAt >= 0) {
    namespace = args[nsAt + 1];
    if (!namespace || namespace.startsWith("--"))
      return { kind: "error", message: "--namespace needs a value" };
    args.splice(nsAt, 2);
  }
  const ns = namespace === undefined ? {} : { namespace };
  const [command, ...rest] = args;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return { kind: "help" };
    case "list": {
      if (rest.length === 0) return { kind: "list", limit: 100, ...ns };
      if (rest[0] !== "--limit" || rest.length !== 2)
        return { kind: "error", message: "list: expected [--limit <n>]" };
      const limit = parseSeq(rest[1], "list --limit");
      return typeof limit === "number" ? { kind: "list", limit, ...ns } : { kind: "error", message: limit };
    }
    case "show": {
      if (rest.length > 1) return { kind: "error", message: "show: expected exactly one <seq>" };
      const seq = parseSeq(rest[0], "show");
      return typeof seq === "number" ? { kind: "show", seq, ...ns } : { kind: "error", message: seq };
    }
    case "redrive": {
      if (rest.length === 1 && rest[0] === "--all") return { kind: "redrive", target: "all", ...ns };
      if (rest.length > 1) return { kind: "error", message: "redrive: expected <seq> or --all" };
      const seq = parseSeq(rest[0], "redrive");
      return typeof seq === "number"
        ? { kind: "redrive", target: seq, ...ns }
        : { kind: "error", message: seq };
    }
    default:
      return { kind: "error", message: `unknown command "${command}"` };
  }
}

export interface DlqCliIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Runs a parsed command and prints readable output; returns the process exit code (0 ok, 1 failed,
 * 2 bad usage). Why: operators use it during incidents, so output is a plain table and errors are
 * one clear line, never a stack trace.
 */
export async function runDlqCommand(
  command: Exclude<DlqCommand, { kind: "help" } | { kind: "error" }>,
  deps: DeadLetterDeps,
  io: DlqCliIo,
): Promise<number> {
  try {
    switch (command.kind) {
      case "list": {
        const letters = await listDeadLetters(deps, { limit: command.limit });
        if (letters.length === 0) {
          io.out("no dead letters");
          return 0;
        }
        io.out(["SEQ", "FAILED AT", "ATTEMPTS", "CONSUMER", "SUBJECT", "ERROR"].join("\t"));
        for (const l of letters) {
          io.out([l.seq, l.failedAt, l.attempts, l.consumer, l.originalSubject, l.error].join("\t"));
        }
        return 0;
      }
      case "show": {
        const l = await showDeadLetter(deps, command.seq);
        io.out(`seq:          ${l.seq}`);
        io.out(`subject:      ${l.originalSubject}`);
        io.out(`from:         ${l.originalStream} #${l.originalSequence}`);
        io.out(`consumer:     ${l.consumer}`);
        io.out(`attempts:     ${l.attempts}`);
        io.out(`error:        ${l.error}`);
        io.out(`published at: ${l.publishedAt}`);
        io.out(`failed at:    ${l.failedAt}`);
        io.out(`msg id:       ${l.msgId ?? "-"}`);
        io.out(`traceparent:  ${l.traceparent ?? "-"}`);
        if (l.decodeError) {
          io.out(`payload:      cannot decode (${l.decodeError}); ${l.payload.length} bytes, base64:`);
          io.out(Buffer.from(l.payload).toString("base64"));
        } else {
          io.out("payload:");
          io.out(JSON.stringify(l.event, null, 2));
        }
        return 0;
      }
      case "redrive": {
        const results = await redrive(deps, command.target);
        for (const r of results) io.out(`redriven ${r.seq} → ${r.subject} (stream seq ${r.republishedSeq})`);
        io.out(`${results.length} dead letter(s) redriven`);
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError) {
      io.err(`dlq: ${error.message}`);
      return 1;
    }
    io.err(`dlq: ${(error as Error).message}`);
    return 1;
  }
}
