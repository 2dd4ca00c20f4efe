import pino from 'pino';
import { EventConsumer } from './consumer';
import { InboxTransport } from './transport';

/** A consumer whose Kafka side is simulated: start() can fail, and a crash can be triggered. */
function fakeConsumer(opts: { failStarts?: number } = {}) {
  let state: 'stopped' | 'starting' | 'running' | 'crashed' = 'stopped';
  let crash: ((err: Error) => void) | undefined;
  let failures = opts.failStarts ?? 0;
  const consumer = {
    groupId: 'g',
    types: () => ['user.registered'],
    topics: () => ['auth.user.v1'],
    state: () => state,
    start: jest.fn(async (onCrash?: (err: Error) => void) => {
      if (failures-- > 0) throw new Error('broker unreachable');
      crash = onCrash;
      state = 'running';
    }),
    stop: jest.fn(async () => void (state = 'stopped')),
    on: jest.fn(),
  };
  return {
    consumer: consumer as unknown as EventConsumer & typeof consumer,
    crash: (err: Error) => {
      state = 'crashed';
      crash?.(err);
    },
  };
}

const logger = pino({ level: 'silent' });

describe('InboxTransport', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('returns from listen at once and keeps trying to start the consumer until it runs', async () => {
    const { consumer } = fakeConsumer({ failStarts: 2 });
    const transport = new InboxTransport(consumer, { logger });
    const listening = jest.fn();
    transport.listen(listening);
    expect(listening).toHaveBeenCalled();
    expect(transport.isHealthy()).toBe(false);
    await jest.advanceTimersByTimeAsync(5000);
    await transport.started();
    expect(consumer.start).toHaveBeenCalledTimes(3);
    expect(transport.isHealthy()).toBe(true);
  });

  it('restarts a consumer that crashed for good, and is unhealthy while it is down', async () => {
    const { consumer, crash } = fakeConsumer();
    const transport = new InboxTransport(consumer, { logger });
    transport.listen(() => undefined);
    await transport.started();
    expect(transport.isHealthy()).toBe(true);

    consumer.start.mockImplementationOnce(async () => {
      throw new Error('still down');
    });
    crash(new Error('KafkaJSNonRetriableError'));
    expect(transport.isHealthy()).toBe(false);
    await jest.advanceTimersByTimeAsync(3000);
    await transport.started();
    expect(transport.restartCount).toBe(1);
    expect(consumer.start).toHaveBeenCalledTimes(3);
    expect(transport.isHealthy()).toBe(true);
  });

  it('does not restart after close', async () => {
    const { consumer, crash } = fakeConsumer();
    const transport = new InboxTransport(consumer, { logger });
    transport.listen(() => undefined);
    await transport.started();
    await transport.close();
    crash(new Error('late crash'));
    await jest.advanceTimersByTimeAsync(3000);
    expect(consumer.start).toHaveBeenCalledTimes(1);
    expect(transport.restartCount).toBe(0);
  });

  it('accepts only event handlers for declared event types', () => {
    const { consumer } = fakeConsumer();
    const transport = new InboxTransport(consumer, { logger });
    expect(() => transport.addHandler('user.registered', (async () => undefined) as never, false)).toThrow(/only events/);
    expect(() => transport.addHandler('user.teleported', (async () => undefined) as never, true)).toThrow(/names no event type/);
    transport.addHandler('user.registered', (async () => undefined) as never, true);
    expect(consumer.on).toHaveBeenCalledWith('user.registered', expect.any(Function));
  });
});
