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

  it('has the web push defaults, takes a VAPID key pair and refuses malformed keys or subject', () => {
    const c = loadConfig(NotificationWorkerConfig, env);
    expect(c).toMatchObject({ VAPID_SUBJECT: 'mailto:ops@tally.local', PUSH_TTL_SECONDS: 86_400, PUSH_TIMEOUT_MS: 10_000 });
    expect(c.VAPID_PUBLIC_KEY).toBeUndefined();
    const keys = { VAPID_PUBLIC_KEY: `B${'a'.repeat(86)}`, VAPID_PRIVATE_KEY: 'k'.repeat(43) };
    expect(loadConfig(NotificationWorkerConfig, { ...env, ...keys })).toMatchObject(keys);
    // Compose passes an unset key as an empty string: the same as unset.
    expect(loadConfig(NotificationWorkerConfig, { ...env, VAPID_PUBLIC_KEY: '', VAPID_PRIVATE_KEY: '' }).VAPID_PUBLIC_KEY).toBeUndefined();
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, VAPID_PUBLIC_KEY: 'CHANGE_ME_87_CHARS_BASE64URL' })).toThrow(ConfigValidationError);
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, VAPID_SUBJECT: 'ops@tally.local' })).toThrow(ConfigValidationError);
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, PUSH_TIMEOUT_MS: '60000' })).toThrow(ConfigValidationError);
  });

  it('starts without Twilio (empty values as compose passes them) and refuses malformed Twilio settings', () => {
    const c = loadConfig(NotificationWorkerConfig, { ...env, TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_FROM: '' });
    expect(c.TWILIO_ACCOUNT_SID).toBeUndefined();
    expect(c.SMS_TIMEOUT_MS).toBe(10_000);
    const twilio = { TWILIO_ACCOUNT_SID: `AC${'a1'.repeat(16)}`, TWILIO_AUTH_TOKEN: 'f'.repeat(32), TWILIO_FROM: '+15005550006' };
    expect(loadConfig(NotificationWorkerConfig, { ...env, ...twilio })).toMatchObject(twilio);
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, ...twilio, TWILIO_ACCOUNT_SID: 'AC_CHANGE_ME_32_HEX' })).toThrow(ConfigValidationError);
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, ...twilio, TWILIO_FROM: '4155550123' })).toThrow(ConfigValidationError);
    expect(() => loadConfig(NotificationWorkerConfig, { ...env, TWILIO_API_BASE: '127.0.0.1:9999' })).toThrow(ConfigValidationError);
  });
});
