import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, with the default Node metrics and the few Tally-wide ones. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly outboxPublished: Counter<'topic'>;
  readonly outboxPublishFailures: Counter;
  readonly consumerHandled: Counter<'topic' | 'result'>;
  readonly eventLag: Histogram<'topic'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds', help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'], registers: [this.registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.outboxPublished = new Counter({ name: 'outbox_published_total', help: 'Outbox events published to Kafka', labelNames: ['topic'], registers: [this.registry] });
    this.outboxPublishFailures = new Counter({ name: 'outbox_publish_failures_total', help: 'Failed relay rounds (events stay in the outbox)', registers: [this.registry] });
    this.consumerHandled = new Counter({ name: 'consumer_messages_total', help: 'Consumed messages by result', labelNames: ['topic', 'result'], registers: [this.registry] });
    this.eventLag = new Histogram({
      name: 'event_lag_seconds', help: 'Event time to consumer effect', labelNames: ['topic'], registers: [this.registry],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  }
}
