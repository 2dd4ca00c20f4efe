/**
 * Our messaging port. Services and the outbox/inbox machinery speak these interfaces;
 * kafkajs sits behind them (kafka-bus.ts) and nowhere else.
 */
export interface OutgoingMessage {
  /** Logical topic name from contracts (the bus adds any configured prefix). */
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface IncomingMessage {
  /** Logical topic name (prefix removed). */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Tells the group coordinator the consumer is alive during long handling (retries). */
  heartbeat?: () => Promise<void>;
}

export interface MessageProducer {
  connect(): Promise<void>;
  /** Resolves once the broker has acknowledged every message; order is kept per topic and key. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
}

export interface MessageConsumer {
  /**
   * Runs `handle` for each message, one at a time per partition. The offset is committed only
   * after `handle` resolves; if it throws, the message is delivered again after a backoff.
   */
  run(topics: string[], handle: (msg: IncomingMessage) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface MessageBus {
  producer(): MessageProducer;
  consumer(groupId: string): MessageConsumer;
  /** Creates the topics (and their DLQs) if missing. */
  ensureTopics(topics: { name: string; partitions: number; compacted?: boolean }[]): Promise<void>;
  /** Cheap broker round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
