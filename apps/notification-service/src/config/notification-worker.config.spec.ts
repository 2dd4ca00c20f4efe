import { ConfigValidationError, loadConfig } from '@tally/config';
import { NotificationWorkerConfig } from './notification-worker.config';

const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tally_notification', REDIS_URL: 'redis://127.0.0.1:6379',
  SMTP_HOST: '127.0.0.1', SMTP_PORT: '2525', SMTP_FROM: 'Tally <no-reply@tally.local>', APP_PUBLIC_URL: 'http://localhost:8080',
};

describe('NotificationWorkerConfig', () => {
  it('has the worker defaults and no SMTP auth unless configured', () => {
    const c = loadConfig(NotificationWorkerConfig, env);
    expect(c).toMatchObject({ PORT: 3016, SMTP_PORT: 2525, SMTP_SECURE: false, WORKER_CONCURRENCY: 5, QUEUE_PREFIX: 'tally' });
    expect(c.SMTP_USER).toBeUndefined();
  });

  it('reads SMTP_SECURE=false as false (not as a non-empty string)', () => {
    expect(loadConfig(NotificationWorkerConfig, { ...env, SMTP_SECURE: 'false' }).SMTP_SECURE).toBe(false);
    expect(loadConfig(NotificationWorkerConfig, { ...env, SMTP_SECURE: 'true' }).SMTP_SECURE).toBe(true);
  });

  it('refuses a missing SMTP host or a non-URL public address', () => {
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, SMTP_HOST: undefined })).toThrow(ConfigValidationError);
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, APP_PUBLIC_URL: 'localhost' })).toThrow(ConfigValidationError);
  });
});
