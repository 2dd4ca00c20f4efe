import { Admin, Consumer, Kafka, KafkaConfig, logLevel, LogEntry, Partitioners, Producer, IHeaders } from 'kafkajs';
import type { Logger } from 'pino';
import { DLQ_RETENTION_MS } from '@tally/contracts';
import { ConsumerState, IncomingBatch, MessageBus, MessageConsumer, MessageProducer, OutgoingMessage } from './bus';

export interface KafkaBusOptions {
  clientId: string;
  brokers: string[];
  /** Prepended to every topic name; isolates test runs sharing a cluster. */
  topicPrefix?: string;
  logger: Logger;
  /** Overrides for tests: faster session timeouts and the like. */
  consumer?: { sessionTimeout?: number; heartbeatInterval?: number; rebalanceTimeout?: number; partitionsConsumedConcurrently?: number };
}

function headersToRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

export class KafkaBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private admin?: Admin;
  private readonly opened: { close(): Promise<void> }[] = [];

  constructor(private readonly opts: KafkaBusOptions) {
    this.prefix = opts.topicPrefix ?? '';
    const log = opts.logger.child({ component: 'kafkajs' });
    const config: KafkaConfig = {
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 },
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
    };
    this.kafka = new Kafka(config);
  }

  physical(topic: string): string {
    return this.prefix + topic;
  }

  logical(topic: string): string {
    return this.prefix && topic.startsWith(this.prefix) ? topic.slice(this.prefix.length) : topic;
  }

  producer(): MessageProducer {
    const p = new KafkaProducerAdapter(this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 } }), this);
    this.opened.push({ close: () => p.disconnect() });
    return p;
  }

  consumer(groupId: string): MessageConsumer {
    const c = new KafkaConsumerAdapter(
      this.kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: this.opts.consumer?.sessionTimeout ?? 30000,
        heartbeatInterval: this.opts.consumer?.heartbeatInterval ?? 3000,
        rebalanceTimeout: this.opts.consumer?.rebalanceTimeout ?? 60000,
        retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8 },
      }),
      this,
      this.opts.logger.child({ component: 'consumer', groupId }),
      this.opts.consumer?.partitionsConsumedConcurrently ?? 3,
    );
    this.opened.push({ close: () => c.stop() });
    return c;
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async ensureTopics(topics: { name: string; partitions: number; compacted?: boolean }[]): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const wanted = topics.flatMap((t) => [
      { topic: this.physical(t.name), numPartitions: t.partitions, replicationFactor: -1, configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [] },
      { topic: this.physical(`${t.name}.dlq`), numPartitions: 1, replicationFactor: -1, configEntries: [{ name: 'retention.ms', value: String(DLQ_RETENTION_MS) }] },
    ]);
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true });
  }

  async deleteTopicsWithPrefix(): Promise<void> {
    if (!this.prefix) throw new Error('refusing to delete topics without a prefix');
    const admin = await this.getAdmin();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(this.prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine });
  }

  /**
   * Re-publishes the dead letters of `topic` to `topic` itself (headers kept, DLQ headers dropped,
   * `x-replayed-from-dlq` added), from the replay group's committed position up to the end the
   * DLQ had when called. Consumers' inboxes make a replay of an already-applied event harmless.
   */
  async replayDlq(topic: string, opts: { onlyGroup?: string; dryRun?: boolean } = {}): Promise<{ replayed: number; skipped: number }> {
    const dlq = this.physical(`${topic}.dlq`);
    const admin = await this.getAdmin();
    const ends = await admin.fetchTopicOffsets(dlq);
    const target = new Map(ends.map((p) => [p.partition, BigInt(p.high)]));
    // A replay restricted to one consumer group keeps its own position, so it never steps over the letters of others.
    const groupId = `${this.opts.clientId}.dlq-replay.${topic}${opts.onlyGroup ? `.${opts.onlyGroup}` : ''}`;
    const committed = await admin.fetchOffsets({ groupId, topics: [dlq] });
    const pending = new Set(
      ends.filter((p) => {
        const c = committed[0]?.partitions.find((x) => x.partition === p.partition)?.offset;
        const start = c && c !== '-1' ? BigInt(c) : BigInt(p.low);
        return start < BigInt(p.high);
      }).map((p) => p.partition),
    );
    let replayed = 0;
    let skipped = 0;
    if (!pending.size) return { replayed, skipped };
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    const drained = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: !opts.dryRun,
        eachMessage: async ({ partition, message }) => {
          const headers = headersToRecord(message.headers);
          const matches = !opts.onlyGroup || headers['x-dlq-consumer-group'] === opts.onlyGroup;
          if (BigInt(message.offset) < (target.get(partition) ?? 0n)) {
            if (matches && !opts.dryRun) {
              const kept = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith('x-dlq-')));
              kept['x-replayed-from-dlq'] = new Date().toISOString();
              await producer.send({ topic: this.physical(topic), messages: [{ key: message.key, value: message.value, headers: kept }] });
            }
            if (matches) replayed++;
            else skipped++;
          }
          if (BigInt(message.offset) + 1n >= (target.get(partition) ?? 0n)) {
            pending.delete(partition);
            if (!pending.size) resolve();
          }
        },
      });
    });
    await drained;
    await consumer.disconnect();
    await producer.disconnect();
    return { replayed, skipped };
  }

  async ping(): Promise<void> {
    const admin = await this.getAdmin();
    await admin.describeCluster();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.opened.map((o) => o.close()));
    if (this.admin) await this.admin.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}

class KafkaProducerAdapter implements MessageProducer {
  private connected = false;
  private connecting?: Promise<void>;

  constructor(private readonly producer: Producer, private readonly bus: KafkaBus) {
    producer.on(producer.events.CONNECT, () => (this.connected = true));
    producer.on(producer.events.DISCONNECT, () => (this.connected = false));
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.connecting ??= this.producer.connect().finally(() => (this.connecting = undefined));
    await this.connecting;
  }

  isConnected(): boolean {
    return this.connected;
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (!messages.length) return;
    await this.connect();
    // Group consecutive messages by topic, keeping their order: one sendBatch call, one ack.
    const topicMessages: { topic: string; messages: { key: string; value: string; headers: Record<string, string> }[] }[] = [];
    for (const m of messages) {
      const topic = this.bus.physical(m.topic);
      const last = topicMessages[topicMessages.length - 1];
      const entry = { key: m.key, value: m.value, headers: m.headers };
      if (last && last.topic === topic) last.messages.push(entry);
      else topicMessages.push({ topic, messages: [entry] });
    }
    await this.producer.sendBatch({ topicMessages, acks: -1 });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.connected = false;
  }
}

class KafkaConsumerAdapter implements MessageConsumer {
  private current: ConsumerState = 'stopped';
  private crashListeners: ((err: Error) => void)[] = [];

  constructor(private readonly consumer: Consumer, private readonly bus: KafkaBus, private readonly log: Logger, private readonly concurrency: number) {
    consumer.on(consumer.events.CRASH, (e) => {
      const { error, restart } = e.payload;
      this.log.error({ err: error, restart }, 'consumer crashed');
      // kafkajs restarts by itself after a retriable crash; after any other it is done for good.
      if (!restart && this.current !== 'stopped') {
        this.current = 'crashed';
        for (const fn of this.crashListeners) fn(error);
      }
    });
  }

  state(): ConsumerState {
    return this.current;
  }

  onCrash(fn: (err: Error) => void): void {
    this.crashListeners.push(fn);
  }

  async run(topics: string[], handle: (batch: IncomingBatch) => Promise<void>): Promise<void> {
    this.current = 'starting';
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: topics.map((t) => this.bus.physical(t)), fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const topic = this.bus.logical(batch.topic);
        await handle({
          topic,
          partition: batch.partition,
          messages: batch.messages.map((message) => ({
            heartbeat,
            topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key ? message.key.toString('utf8') : null,
            value: message.value,
            headers: headersToRecord(message.headers),
          })),
          resolveOffset,
          heartbeat,
          isActive: () => isRunning() && !isStale(),
        });
      },
    });
    this.current = 'running';
  }

  async stop(): Promise<void> {
    if (this.current === 'stopped') return;
    this.current = 'stopped';
    await this.consumer.disconnect().catch(() => undefined);
  }
}
