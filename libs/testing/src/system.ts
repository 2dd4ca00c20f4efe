import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type * as Contracts from '@tally/contracts';
import { createTestDatabase, dropTestDatabase, REPO_ROOT } from './infra';
import { freePort } from './ports';
import { expectEventually } from './eventually';

type ServiceName = Contracts.ServiceName;
/**
 * The service list (libs/contracts/src/services.ts), read the way the scripts read it, through
 * tools/services.js: Jest's globalSetup loads this file too, and resolves no @tally/* alias.
 */
const { routedServices, service, startWaves, upstreamUrlEnv } = require(path.join(REPO_ROOT, 'tools/services.js')).loadContracts() as
  Pick<typeof Contracts, 'routedServices' | 'service' | 'startWaves' | 'upstreamUrlEnv'>;

/** A process of the service list (libs/contracts/src/services.ts). */
export type AppName = ServiceName;

/** Every process, in start order (the service list's waves: auth first, the gateway last). */
export const ALL_APPS: AppName[] = startWaves().flat();

export interface SystemOptions {
  infra: { databaseUrl: string; redisUrl: string; kafkaBrokers: string };
  smtpPort: number;
  apps?: AppName[];
  /** Extra env per app. */
  env?: Partial<Record<AppName, Record<string, string>>>;
}

/**
 * The whole of Tally as real processes from dist/, on free ports, with databases, Kafka topics
 * (by prefix) and BullMQ keys (by prefix) of its own, so runs never see each other's data.
 */
export class TallySystem {
  readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  readonly topicPrefix = `t-${this.runId}.`;
  /** auth's SECRETS_KEY for this run (tests that read sealed secrets open them with it). */
  readonly secretsKey = randomBytes(32).toString('base64');
  readonly ports = {} as Record<AppName, number>;
  readonly logDir: string;
  private readonly procs = new Map<AppName, ChildProcess>();
  private readonly dbUrls = new Map<string, string>();

  constructor(private readonly opts: SystemOptions) {
    this.logDir = path.join(REPO_ROOT, 'tmp', 'e2e', this.runId);
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports['api-gateway']}`;
  }

  /** The database of a service, for assertions on what it stored. */
  databaseUrl(db: string): string {
    const url = this.dbUrls.get(db);
    if (!url) throw new Error(`no database ${db} in this run`);
    return url;
  }

  async start(): Promise<this> {
    fs.mkdirSync(this.logDir, { recursive: true });
    const apps = this.opts.apps ?? ALL_APPS;
    for (const db of new Set(apps.flatMap((a) => service(a).database ?? []))) {
      this.dbUrls.set(db, await createTestDatabase(this.opts.infra.databaseUrl, `tally_${db}_${this.runId}`));
    }
    for (const app of apps) this.ports[app] = await freePort();
    // The service list's start waves: auth first (it mints the signing key), the gateway last.
    for (const wave of startWaves(apps)) await Promise.all(wave.map((a) => this.startApp(a)));
    return this;
  }

  /** What each process reads, per its flags in the service list, pointed at this run's infrastructure. */
  private envFor(app: AppName): Record<string, string> {
    const s = service(app);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(this.ports[app]),
      SHUTDOWN_TIMEOUT_MS: '15000',
      APP_PUBLIC_URL: 'http://localhost:8080',
    };
    if (s.database) {
      env.DATABASE_URL = this.databaseUrl(s.database);
      // Eight processes share one PostgreSQL (often max_connections = 100): keep each pool small.
      env.DATABASE_POOL_MAX = '4';
    }
    if (s.kafka) {
      Object.assign(env, {
        KAFKA_BROKERS: this.opts.infra.kafkaBrokers,
        KAFKA_TOPIC_PREFIX: this.topicPrefix,
        KAFKA_SESSION_TIMEOUT_MS: '10000',
        OUTBOX_POLL_INTERVAL_MS: '500',
      });
    }
    if (s.redis) Object.assign(env, { REDIS_URL: this.opts.infra.redisUrl, QUEUE_PREFIX: `t-${this.runId}` });
    if (s.smtp) Object.assign(env, { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.opts.smtpPort), SMTP_FROM: 'Tally <no-reply@tally.test>' });
    if (s.secretsKey) env.SECRETS_KEY = this.secretsKey;
    // Invitations a test makes overdue are expired within a second, not a minute.
    if (app === 'group-worker') env.INVITATION_EXPIRY_EVERY_SECONDS = '1';
    // Recurring expenses a test sets up are generated within a second or two, not five minutes.
    if (app === 'expense-worker') env.RECURRING_EVERY_SECONDS = '1';
    // The sandbox provider posts its webhooks through this run's gateway, soon; a webhook that beat its
    // payment's commit is retried within a second. Stripe (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET,
    // STRIPE_API_BASE of a LocalStripeServer) is off unless a test passes them through `env`.
    if (app === 'payment-service') {
      Object.assign(env, { SANDBOX_SETTLE_MS: '200', PAYMENT_WEBHOOK_BACKOFF_MS: '200' });
      if (this.ports['api-gateway']) env.SANDBOX_WEBHOOK_URL = `${this.gatewayUrl}/webhooks/sandbox`;
    }
    // Tracked emails (on when a test passes EMAIL_TRACKING_SECRET) point at this run's gateway.
    if (app === 'notification-worker' && this.ports['api-gateway']) env.EMAIL_TRACKING_BASE_URL = this.gatewayUrl;
    // Twilio's status callbacks (on when a test passes the TWILIO_* of a FakeSmsServer) come back through this run's gateway.
    if ((app === 'notification-worker' || app === 'notification-service') && this.ports['api-gateway']) {
      env.TWILIO_STATUS_CALLBACK_URL = `${this.gatewayUrl}/callbacks/sms/twilio`;
    }
    // Web push goes to the tests' local push endpoint (PushEndpoint, plain http on loopback): allowed explicitly,
    // besides the browsers' push services (PUSH_ENDPOINT_HOSTS, the SSRF guard of auth-service and notification-worker).
    if (app === 'auth-service' || app === 'notification-worker') env.PUSH_ENDPOINT_HOSTS = 'default,http://127.0.0.1';
    if (s.kind === 'gateway') {
      Object.assign(env, {
        // Runs register many users from one address: edge limits far above production's, keyed
        // per run. Tests of the limits themselves set theirs through `env`.
        RATE_LIMIT_PREFIX: `t-${this.runId}:rl:`,
        RATE_LIMIT_LOGIN_IP: '1000/1m', RATE_LIMIT_LOGIN_ACCOUNT: '500/1m', RATE_LIMIT_REGISTER_IP: '1000/1m',
        RATE_LIMIT_RECOVERY_IP: '1000/1m', RATE_LIMIT_RECOVERY_ACCOUNT: '500/1m', RATE_LIMIT_USER: '30000/1m',
        RATE_LIMIT_ANONYMOUS_IP: '12000/1m',
      });
      // a service not started in this run answers nowhere (port 1): its routes give 502/503
      for (const u of routedServices()) env[upstreamUrlEnv(u.name)] = `http://127.0.0.1:${this.ports[u.name] ?? 1}`;
    }
    return { ...env, ...(this.opts.env?.[app] ?? {}) };
  }

  async startApp(app: AppName): Promise<void> {
    const prev = this.procs.get(app);
    if (prev && prev.exitCode === null && prev.signalCode === null) throw new Error(`${app} is already running`);
    const out = fs.openSync(path.join(this.logDir, `${app}.log`), 'a');
    const s = service(app);
    const child = spawn(process.execPath, ['--enable-source-maps', path.join(REPO_ROOT, 'dist/apps', s.app, 'src', s.entry)], {
      cwd: REPO_ROOT, env: this.envFor(app), stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.procs.set(app, child);
    await expectEventually(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${app} exited with ${child.exitCode}; see ${this.logDir}/${app}.log:\n${this.tail(app)}`);
      const res = await fetch(`http://127.0.0.1:${this.ports[app]}${s.readyPath}`);
      if (res.status !== 200) throw new Error(`${app} ready: ${res.status} ${await res.text()}`);
    }, { timeoutMs: 60000, intervalMs: 200, what: `${app} to be ready` });
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stopApp(app: AppName, timeoutMs = 30000): Promise<number | null> {
    return this.signal(app, 'SIGTERM', timeoutMs);
  }

  /** SIGKILL: a crash, with no chance to commit or flush anything. */
  async killApp(app: AppName): Promise<void> {
    await this.signal(app, 'SIGKILL', 10000);
  }

  private async signal(app: AppName, sig: NodeJS.Signals, timeoutMs: number): Promise<number | null> {
    const child = this.procs.get(app);
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  tail(app: AppName, bytes = 4000): string {
    try {
      const s = fs.readFileSync(path.join(this.logDir, `${app}.log`), 'utf8');
      return s.slice(-bytes);
    } catch {
      return '';
    }
  }

  /** A raw Kafka client on this run's cluster, for tests that publish or read directly. */
  kafka(): Kafka {
    return new Kafka({ clientId: `test-${this.runId}`, brokers: this.opts.infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  }

  async stop(): Promise<void> {
    // the reverse of the start order: the gateway first, then what it calls
    for (const wave of startWaves([...this.procs.keys()]).reverse()) await Promise.all(wave.map((a) => this.stopApp(a)));
    for (const url of this.dbUrls.values()) {
      const name = new URL(url).pathname.slice(1);
      await dropTestDatabase(this.opts.infra.databaseUrl, name).catch(() => undefined);
    }
    const admin = this.kafka().admin();
    try {
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(this.topicPrefix));
      if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10000 });
    } catch {
      // topics of a run are harmless leftovers; the broker may be down in a failed outage test
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
