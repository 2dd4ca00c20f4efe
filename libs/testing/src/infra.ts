import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { Client } from 'pg';

const run = promisify(execFile);

export type InfraSource = 'env' | 'testcontainers' | 'local';

/** Where the tests' PostgreSQL, Redis and Kafka are, and how to stop or start the broker. */
export interface TestInfra {
  source: InfraSource;
  /** A postgres:// URL of a server (any database); tests create their own databases on it. */
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
  kafkaContainerId?: string;
  teardown(): Promise<void>;
}

/** Stops and starts the broker, for outage tests. */
export interface KafkaControl {
  stopKafka(): Promise<void>;
  startKafka(): Promise<void>;
}

export const REPO_ROOT = path.resolve(__dirname, '../../..');

function log(msg: string) {
  process.stderr.write(`[test-infra] ${msg}\n`);
}

async function containerEngineAvailable(): Promise<boolean> {
  if (process.env.TESTCONTAINERS_DISABLED === '1') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000))]);
    return true;
  } catch {
    return false;
  }
}

async function localInfra(): Promise<TestInfra> {
  const script = (name: string, ...args: string[]) =>
    run('bash', [path.join(REPO_ROOT, 'infra', name), ...args], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60 * 1000 });
  log('no DATABASE_URL/REDIS_URL/KAFKA_BROKERS and no container engine: using local processes via infra/up.sh');
  const { stdout } = await script('up.sh', 'postgres', 'redis', 'kafka');
  // up.sh prints `export K=V` lines with what it ended up using (a password it had to set, say).
  const exported = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  return {
    source: 'local',
    databaseUrl: `${exported.DATABASE_URL_BASE ?? 'postgres://postgres@127.0.0.1:5432'}/postgres`,
    redisUrl: exported.REDIS_URL ?? 'redis://127.0.0.1:6379',
    kafkaBrokers: exported.KAFKA_BROKERS ?? '127.0.0.1:9092',
    teardown: async () => undefined, // the local services stay up for the next run; `npm run stop` stops them
  };
}

async function containerInfra(): Promise<TestInfra> {
  log('container engine found: starting PostgreSQL, Redis and Kafka with Testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const [pg, redis, kafka] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').withPassword('postgres').start(),
    new RedisContainer('redis:7-alpine').start(),
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start(),
  ]);
  return {
    source: 'testcontainers',
    databaseUrl: pg.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    kafkaContainerId: kafka.getId(),
    teardown: async () => {
      await Promise.allSettled([pg.stop(), redis.stop(), kafka.stop()]);
    },
  };
}

function envInfra(): TestInfra {
  log('using DATABASE_URL, REDIS_URL and KAFKA_BROKERS from the environment');
  return {
    source: 'env',
    databaseUrl: process.env.DATABASE_URL!,
    redisUrl: process.env.REDIS_URL!,
    kafkaBrokers: process.env.KAFKA_BROKERS!,
    teardown: async () => undefined,
  };
}

/**
 * The one harness that decides where tests get their infrastructure:
 * 1. DATABASE_URL, REDIS_URL and KAFKA_BROKERS from the environment win;
 * 2. else Testcontainers, where a container engine answers;
 * 3. else the project's own local processes (infra/up.sh starts what is missing).
 */
export async function resolveTestInfra(): Promise<TestInfra> {
  let infra: TestInfra;
  if (process.env.DATABASE_URL && process.env.REDIS_URL && process.env.KAFKA_BROKERS) infra = envInfra();
  else if (await containerEngineAvailable()) infra = await containerInfra();
  else {
    if (process.env.TESTCONTAINERS_DISABLED !== '1') log('no container engine answered');
    infra = await localInfra();
  }
  log(`source=${infra.source} postgres=${redact(infra.databaseUrl)} redis=${infra.redisUrl} kafka=${infra.kafkaBrokers}`);
  return infra;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

/** What the global setup resolved, as environment variables the test workers inherit. */
export function exportInfraToEnv(infra: TestInfra): void {
  process.env.DATABASE_URL = infra.databaseUrl;
  process.env.REDIS_URL = infra.redisUrl;
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
  process.env.TALLY_TEST_INFRA_SOURCE = infra.source;
  if (infra.kafkaContainerId) process.env.TALLY_TEST_KAFKA_CONTAINER = infra.kafkaContainerId;
}

/** Infra for a test file, from what the global setup put in the environment. */
export function infraFromEnv(): { source: InfraSource; databaseUrl: string; redisUrl: string; kafkaBrokers: string } {
  const get = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: run the tests through the jest config (its globalSetup resolves the infrastructure)`);
    return v;
  };
  return {
    source: (process.env.TALLY_TEST_INFRA_SOURCE ?? 'env') as InfraSource,
    databaseUrl: get('DATABASE_URL'),
    redisUrl: get('REDIS_URL'),
    kafkaBrokers: get('KAFKA_BROKERS'),
  };
}

/**
 * How a test stops and restarts the broker: the infra scripts for local processes, pause/unpause
 * for a container (the mapped port stays), or KAFKA_STOP_CMD/KAFKA_START_CMD for a given broker.
 */
export function kafkaControl(): KafkaControl {
  const source = (process.env.TALLY_TEST_INFRA_SOURCE ?? 'env') as InfraSource;
  const script = (name: string, ...args: string[]) => async () =>
    void (await run('bash', [path.join(REPO_ROOT, 'infra', name), ...args], { cwd: REPO_ROOT, timeout: 5 * 60 * 1000 }));
  const docker = (action: 'pause' | 'unpause') => async () => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    await client.container.dockerode.getContainer(process.env.TALLY_TEST_KAFKA_CONTAINER!)[action]();
  };
  const envCmd = (k: string) => async () => {
    const c = process.env[k];
    if (!c) throw new Error(`set ${k} to let tests stop/start the broker given by KAFKA_BROKERS`);
    await run('bash', ['-c', c], { cwd: REPO_ROOT });
  };
  if (source === 'local') return { stopKafka: script('down.sh', 'kafka'), startKafka: script('up.sh', 'kafka') };
  if (source === 'testcontainers') return { stopKafka: docker('pause'), startKafka: docker('unpause') };
  return { stopKafka: envCmd('KAFKA_STOP_CMD'), startKafka: envCmd('KAFKA_START_CMD') };
}

/** Creates a fresh database on the test server and returns its URL. */
export async function createTestDatabase(serverUrl: string, name: string): Promise<string> {
  const safe = name.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 60);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${safe}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${safe}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${safe}`;
  return u.toString();
}

export async function dropTestDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // A pool that was just ended has sent its Terminate messages, but the backends may not have gone
    // yet: FORCE would then kill them, and their clients report it as an unhandled 'error' event that
    // fails the suite. Give them up to two seconds to leave first.
    for (let i = 0; i < 40; i++) {
      const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
