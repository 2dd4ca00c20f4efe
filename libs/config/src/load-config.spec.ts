import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { BaseServiceConfig, DatabaseConfig, MessagingConfig } from './base-config';
import { ConfigValidationError, loadConfig } from './load-config';

const MINIMAL = {
  PORT: '3001',
  DATABASE_URL: 'postgres://tally:secret@db.internal:5432/auth',
  KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems;
  }
  throw new Error('expected loadConfig to throw');
}

class WorkerConfig extends BaseServiceConfig {
  @IsInt() @Min(1) @Max(64)
  CONCURRENCY: number = 4;

  @IsOptional() @IsString()
  FROM_ADDRESS?: string;
}

describe('loadConfig', () => {
  it('fills in defaults for everything the environment leaves out', () => {
    const c = loadConfig(MessagingConfig, MINIMAL);
    expect(c).toMatchObject({
      PORT: 3001,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: 25000,
      DATABASE_URL: MINIMAL.DATABASE_URL,
      DATABASE_POOL_MAX: 10,
      KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
      KAFKA_TOPIC_PREFIX: '',
      OUTBOX_POLL_INTERVAL_MS: 1000,
      CONSUMER_MAX_ATTEMPTS: 5,
      CONSUMER_BATCH_SIZE: 200,
      CONSUMER_PARTITIONS_CONCURRENTLY: 3,
      OUTBOX_RETENTION_HOURS: 168,
      INBOX_RETENTION_HOURS: 1080,
      JWT_ISSUER: 'tally-auth',
      JWT_AUDIENCE: 'tally-api',
    });
    expect(c).toBeInstanceOf(MessagingConfig);
  });

  it('converts numeric strings to numbers', () => {
    const c = loadConfig(MessagingConfig, { ...MINIMAL, PORT: '8080', DATABASE_POOL_MAX: '25', OUTBOX_POLL_INTERVAL_MS: '250', CONSUMER_MAX_ATTEMPTS: '3' });
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_POOL_MAX).toBe(25);
    expect(c.OUTBOX_POLL_INTERVAL_MS).toBe(250);
    expect(c.CONSUMER_MAX_ATTEMPTS).toBe(3);
    for (const k of ['PORT', 'DATABASE_POOL_MAX', 'OUTBOX_POLL_INTERVAL_MS', 'CONSUMER_MAX_ATTEMPTS'] as const) expect(typeof c[k]).toBe('number');
  });

  it('treats an empty variable as unset (the default applies)', () => {
    const c = loadConfig(MessagingConfig, { ...MINIMAL, LOG_LEVEL: '', DATABASE_POOL_MAX: '', KAFKA_TOPIC_PREFIX: '' });
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.DATABASE_POOL_MAX).toBe(10);
    expect(c.KAFKA_TOPIC_PREFIX).toBe('');
  });

  it('keeps only the declared settings, not the rest of the environment', () => {
    const c = loadConfig(DatabaseConfig, { ...MINIMAL, PATH: '/usr/bin', HOME: '/root', AWS_SECRET_ACCESS_KEY: 'x' }) as unknown as Record<string, unknown>;
    expect(c.PATH).toBeUndefined();
    expect(c.HOME).toBeUndefined();
    expect(c.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    // not a MessagingConfig: its broker list is dropped too
    expect(c.KAFKA_BROKERS).toBeUndefined();
  });

  it('returns a frozen object', () => {
    const c = loadConfig(MessagingConfig, MINIMAL);
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('reads process.env when no environment is given', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      expect(loadConfig(BaseServiceConfig).PORT).toBe(4321);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('works for a service config that extends a base one', () => {
    const c = loadConfig(WorkerConfig, { PORT: '3016', CONCURRENCY: '8' });
    expect(c).toMatchObject({ PORT: 3016, CONCURRENCY: 8, NODE_ENV: 'development' });
    expect(c.FROM_ADDRESS).toBeUndefined();
  });

  it('refuses a missing required setting with a clear message', () => {
    const problems = problemsOf(() => loadConfig(MessagingConfig, { DATABASE_URL: MINIMAL.DATABASE_URL, KAFKA_BROKERS: 'k:9092' }));
    expect(problems).toContain('PORT must be an integer number');
  });

  it('lists every problem at once, one line each, in the error message too', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(MessagingConfig, {
        PORT: 'eighty',
        NODE_ENV: 'staging',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://db/auth',
        KAFKA_BROKERS: 'localhost',
        KAFKA_TOPIC_PREFIX: 'Has Spaces',
        OUTBOX_POLL_INTERVAL_MS: '10',
        CONSUMER_MAX_ATTEMPTS: '1.5',
      });
    } catch (err) {
      error = err as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.name).toBe('ConfigValidationError');
    const problems = error!.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer number',
        expect.stringMatching(/^NODE_ENV must be one of the following values: development, production, test$/),
        expect.stringMatching(/^LOG_LEVEL must be one of the following values: /),
        'DATABASE_URL must be a postgres:// URL',
        'KAFKA_BROKERS must be host:port[,host:port...]',
        expect.stringMatching(/^KAFKA_TOPIC_PREFIX must match/),
        'OUTBOX_POLL_INTERVAL_MS must not be less than 50',
        'CONSUMER_MAX_ATTEMPTS must be an integer number',
      ]),
    );
    // every offending variable is named; nothing else is
    const named = new Set(problems.map((p) => p.split(' ')[0]));
    expect([...named].sort()).toEqual(
      ['CONSUMER_MAX_ATTEMPTS', 'DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_TOPIC_PREFIX', 'LOG_LEVEL', 'NODE_ENV', 'OUTBOX_POLL_INTERVAL_MS', 'PORT'].sort(),
    );
    expect(error!.message.startsWith('Invalid configuration:\n  - ')).toBe(true);
    for (const p of problems) expect(error!.message).toContain(`\n  - ${p}`);
  });

  it('never echoes a value in its messages (a bad URL may carry a password)', () => {
    const problems = problemsOf(() => loadConfig(DatabaseConfig, { PORT: '1', DATABASE_URL: 'mysql://root:hunter2@db/auth' }));
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('enforces ranges', () => {
    expect(problemsOf(() => loadConfig(BaseServiceConfig, { PORT: '70000', SHUTDOWN_TIMEOUT_MS: '10' }))).toEqual(
      expect.arrayContaining(['PORT must not be greater than 65535', 'SHUTDOWN_TIMEOUT_MS must not be less than 1000']),
    );
  });

  // Regression: class-transformer's implicit conversion alone is Boolean(value), which makes "false" and "0" true.
  it('reads "true"/"false" (and 1/0, yes/no) for a boolean setting', () => {
    class FlagConfig extends BaseServiceConfig {
      @IsBoolean()
      FEATURE_ENABLED: boolean = false;
    }
    expect(loadConfig(FlagConfig, { PORT: '1', FEATURE_ENABLED: 'true' }).FEATURE_ENABLED).toBe(true);
    expect(loadConfig(FlagConfig, { PORT: '1', FEATURE_ENABLED: 'false' }).FEATURE_ENABLED).toBe(false);
    expect(loadConfig(FlagConfig, { PORT: '1', FEATURE_ENABLED: '0' }).FEATURE_ENABLED).toBe(false);
    expect(loadConfig(FlagConfig, { PORT: '1', FEATURE_ENABLED: ' YES ' }).FEATURE_ENABLED).toBe(true);
    expect(loadConfig(FlagConfig, { PORT: '1' }).FEATURE_ENABLED).toBe(false);
  });

  // Regression: an unrecognised value used to reach the implicit conversion and become Boolean("maybe") === true.
  it('refuses a boolean setting it cannot read ("maybe", "ture") instead of turning it on', () => {
    class FlagConfig extends BaseServiceConfig {
      @IsBoolean()
      FEATURE_ENABLED: boolean = false;
    }
    for (const value of ['maybe', 'ture', 'disabled']) {
      expect(problemsOf(() => loadConfig(FlagConfig, { PORT: '1', FEATURE_ENABLED: value }))).toEqual([expect.stringMatching(/^FEATURE_ENABLED must be a boolean/)]);
    }
  });
});
