import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from "nats";
import type { Logger } from "pino";

/** A NATS connection with its JetStream publish/consume and management handles. */
export interface JetStreamConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Flushes pending publishes and acks, then closes. */
  close(): Promise<void>;
}

export interface ConnectJetStreamOptions {
  /** e.g. `nats://127.0.0.1:4222`; several may be comma-separated. */
  readonly url: string;
  /** Shown by the server (`nats server report connections`), e.g. the service name. */
  readonly name: string;
  readonly logger?: Logger;
}

/**
 * Connects to NATS and returns the JetStream handles. Why: every publisher and consumer needs the same
 * three objects, and the connection must keep reconnecting forever (a NATS restart is an outage to
 * ride out, not a reason to crash), with its state changes in the logs.
 */
export async function connectJetStream(options: ConnectJetStreamOptions): Promise<JetStreamConnection> {
  const nc = await connect({
    servers: options.url.split(",").map((server) => server.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const { logger } = options;
  if (logger) {
    void (async () => {
      for await (const status of nc.status()) {
        logger.info({ nats: status.type, data: String(status.data) }, "nats connection status");
      }
    })();
  }
  const jsm = await nc.jetstreamManager();
  return {
    nc,
    js: nc.jetstream(),
    jsm,
    async close() {
      if (nc.isClosed()) return;
      await nc.drain();
    },
  };
}
