import { Parser } from '@asyncapi/parser';
import { asyncApiDocument } from './asyncapi';
import { EventDeclarations } from './events';
import { ALL_TOPICS, TopicConfig, dlqTopic } from './topics';

// Severity 0 is an error in the parser's (Spectral's) diagnostics.
const ERROR = 0;

describe('asyncApiDocument', () => {
  const doc = asyncApiDocument();

  it('is a valid AsyncAPI 3.0.0 document for the official parser', async () => {
    const { document, diagnostics } = await new Parser().parse(doc);
    const errors = diagnostics.filter((d) => d.severity === ERROR).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
  });

  it('describes every event type, on its topic, with its payload inside the envelope', async () => {
    const { document } = await new Parser().parse(doc);
    const messages = document!.allMessages().all();
    for (const d of EventDeclarations) {
      const m = messages.find((x) => x.id() === d.type);
      expect(m).toBeDefined();
      const channel = document!.channels().all().find((c) => c.address() === d.topic);
      expect(channel!.messages().all().map((x) => x.id())).toContain(d.type);
      const payload = m!.payload()!.json() as { properties: Record<string, unknown>; required: string[] };
      expect(payload.properties.type).toMatchObject({ const: d.type });
      expect(payload.properties.data).toMatchObject({ required: d.schema.required });
      expect(payload.required).toEqual(expect.arrayContaining(['id', 'type', 'source', 'time', 'subject', 'data', 'specversion']));
      expect(m!.headers()!.properties()).toHaveProperty(['x-event-id']);
      expect(m!.summary()).toBe(d.description);
    }
  });

  it('has a channel and a send operation per topic and per dead-letter topic, with Kafka partitions and compaction', async () => {
    const { document } = await new Parser().parse(doc);
    for (const topic of ALL_TOPICS) {
      const ch = document!.channels().all().find((c) => c.address() === topic);
      expect(ch).toBeDefined();
      expect(ch!.bindings().get('kafka')!.value()).toMatchObject({
        partitions: TopicConfig[topic].partitions,
        topicConfiguration: { 'cleanup.policy': [TopicConfig[topic].compacted ? 'compact' : 'delete'] },
      });
      expect(document!.channels().all().some((c) => c.address() === dlqTopic(topic))).toBe(true);
      const sends = document!.operations().all().filter((o) => o.action() === 'send' && o.channels().all().some((c) => c.address() === topic));
      expect(sends).toHaveLength(1);
      expect(sends[0].messages().all().map((m) => m.id()).sort()).toEqual(EventDeclarations.filter((d) => d.topic === topic).map((d) => d.type).sort());
    }
  });

  it('names the Kafka headers every event carries, and the key', () => {
    const headers = (doc.components as unknown as { schemas: { EventHeaders: { properties: Record<string, unknown> } } }).schemas.EventHeaders;
    expect(Object.keys(headers.properties).sort()).toEqual(['traceparent', 'x-correlation-id', 'x-event-id', 'x-event-type']);
    const msg = (doc.components as unknown as { messages: Record<string, { bindings: { kafka: { key: { description: string } } } }> }).messages['user.registered'];
    expect(msg.bindings.kafka.key.description).toContain('subject');
  });

  it('says which topics carry secrets and who may read them', () => {
    const ch = (doc.channels as unknown as Record<string, Record<string, unknown>>)['auth.password-reset.v1'];
    expect(ch['x-carries-secrets']).toBe(true);
    expect(ch['x-readers']).toEqual(['notification-service']);
    expect(ch.description).toContain('only notification-service');
  });

  it('is JSON, and a fresh copy every time (nobody can change the contracts through it)', () => {
    const a = asyncApiDocument();
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    (a.components as unknown as { messages: Record<string, { payload: { properties: { data: { required: string[] } } } }> }).messages['user.registered'].payload.properties.data.required.push('x');
    expect(asyncApiDocument()).toEqual(doc);
    expect(EventDeclarations[0].schema.required).not.toContain('x');
  });
});
