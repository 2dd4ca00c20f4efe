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

/** The messages fetched from one partition, in offset order. */
export interface IncomingBatch {
  /** Logical topic name (prefix removed). */
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  /** Marks everything up to and including `offset` as done: it is committed and never delivered again to this group. */
  resolveOffset(offset: string): void;
  /** Tells the group coordinator the consumer is alive during long handling (retries). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was reassigned: stop handling and return. */
  isActive(): boolean;
}

export type ConsumerState = 'stopped' | 'starting' | 'running' | 'crashed';

export interface MessageConsumer {
  /**
   * Runs `handle` for each batch fetched from a partition; partitions are handled concurrently, one
   * batch at a time per partition. Offsets are committed as the handler resolves them, and all of the
   * batch once `handle` resolves; if it throws, the unresolved messages are delivered again after a backoff.
   */
  run(topics: string[], handle: (batch: IncomingBatch) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  /** `crashed` when the client gave up for good (the owner restarts it). */
  state(): ConsumerState;
  /** Called once when the client crashes and will not restart by itself. */
  onCrash(fn: (err: Error) => void): void;
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
