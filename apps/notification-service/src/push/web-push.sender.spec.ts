import * as webpush from 'web-push';
import { parsePushEndpointHosts } from '@tally/security';
import { PushEndpoint, freePort } from '@tally/testing';
import { NotConfiguredPushSender, RoutingPushSender } from './native-push.sender';
import {
  PushEndpointNotAllowedError, PushGoneError, PushNotConfiguredError, PushPermanentError, PushRetryableError, PushTarget, parseWebSubscription, pushErrorFor, pushRecipient, redactPushError,
} from './push-sender';
import { WebPushSender, resolveVapidKeys } from './web-push.sender';

const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:ops@tally.local' };
const payload = { title: 'Ann paid you', body: 'Ann paid you 12.50 EUR.', url: '/settlements/1', notificationId: '6f1c1a8e-4a57-4a0e-9d7b-2a3e3c4d5e6f' };
const silent = { warn: () => undefined };
/** The browsers' push services and, explicitly, the test's local push endpoint over http. */
const LOCAL = parsePushEndpointHosts('default,http://127.0.0.1');

let endpoint: PushEndpoint;
let sender: WebPushSender;

beforeAll(async () => {
  endpoint = new PushEndpoint();
  endpoint.expectedPublicKey = vapid.publicKey;
  await endpoint.start();
  sender = new WebPushSender({ vapid, ttlSeconds: 3600, timeoutMs: 2000, allowHttpEndpoints: true, endpoints: LOCAL });
});

afterAll(() => endpoint.stop());

function webDevice(token: string): PushTarget {
  return { deviceId: '3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9', deviceType: 'web', token };
}

describe('WebPushSender against a real Web Push endpoint', () => {
  it('delivers the payload encrypted for the subscription (aes128gcm), signed with our VAPID key', async () => {
    const sub = endpoint.subscribe();
    await expect(sender.send(webDevice(JSON.stringify(sub)), { ...payload, urgency: 'high' })).resolves.toEqual({ status: 'sent' });
    const [m] = endpoint.for(sub.id);
    expect(m.payload).toEqual({ title: 'Ann paid you', body: 'Ann paid you 12.50 EUR.', url: '/settlements/1', notificationId: payload.notificationId });
    expect(m.vapid).toMatchObject({ aud: endpoint.origin, sub: 'mailto:ops@tally.local', publicKey: vapid.publicKey });
    expect(m.ttl).toBe(3600);
    expect(m.urgency).toBe('high');
  });

  it('reports a subscription the push service says is gone (410) as PushGoneError', async () => {
    const sub = endpoint.subscribe();
    endpoint.expire(sub.id);
    await expect(sender.send(webDevice(JSON.stringify(sub)), payload)).rejects.toBeInstanceOf(PushGoneError);
  });

  it('reports 5xx and 429 as retryable, 400/401/403/413 as permanent', async () => {
    const sub = JSON.stringify(endpoint.subscribe());
    for (const status of [500, 503, 429]) {
      endpoint.failNextRequests(1, status);
      await expect(sender.send(webDevice(sub), payload)).rejects.toMatchObject({ constructor: PushRetryableError, status });
    }
    for (const status of [400, 403, 413]) {
      endpoint.failNextRequests(1, status);
      await expect(sender.send(webDevice(sub), payload)).rejects.toMatchObject({ constructor: PushPermanentError, status });
    }
    // Signed with another key than the one the subscription expects: refused, not worth retrying.
    const other = new WebPushSender({ vapid: { ...webpush.generateVAPIDKeys(), subject: 'mailto:ops@tally.local' }, ttlSeconds: 60, timeoutMs: 2000, allowHttpEndpoints: true, endpoints: LOCAL });
    await expect(other.send(webDevice(sub), payload)).rejects.toMatchObject({ constructor: PushPermanentError, status: 401 });
  });

  it('reports an unreachable push service as retryable', async () => {
    const sub = endpoint.subscribe();
    const dead = JSON.stringify({ ...sub, endpoint: `http://127.0.0.1:${await freePort()}/push/${sub.id}` });
    await expect(sender.send(webDevice(dead), payload)).rejects.toThrow(PushRetryableError);
    await expect(sender.send(webDevice(dead), payload)).rejects.toThrow(/unreachable: fetch failed: ECONNREFUSED/);
  });

  it('refuses a token that is not a PushSubscription, and an http endpoint when http is not allowed (production)', async () => {
    await expect(sender.send(webDevice('not json'), payload)).rejects.toThrow(PushPermanentError);
    await expect(sender.send(webDevice(JSON.stringify({ endpoint: 'https://push.example.net/x', keys: { p256dh: 'short', auth: 'short' } })), payload))
      .rejects.toThrow(PushPermanentError);
    const strict = new WebPushSender({ vapid, ttlSeconds: 60, timeoutMs: 2000, allowHttpEndpoints: false, endpoints: LOCAL });
    const sub = endpoint.subscribe();
    await expect(strict.send(webDevice(JSON.stringify(sub)), payload)).rejects.toThrow('push endpoint is not https');
    expect(endpoint.requests.filter((r) => r.subscriptionId === sub.id)).toEqual([]);
  });
});

describe('WebPushSender push endpoint allowlist (PUSH_ENDPOINT_HOSTS)', () => {
  it('sends nothing to an endpoint that is not an allowed push service, and says why', async () => {
    const sub = endpoint.subscribe();
    const defaultsOnly = new WebPushSender({ vapid, ttlSeconds: 60, timeoutMs: 2000, allowHttpEndpoints: true, endpoints: parsePushEndpointHosts(undefined) });
    await expect(defaultsOnly.send(webDevice(JSON.stringify(sub)), payload)).rejects.toThrow(PushEndpointNotAllowedError);
    await expect(defaultsOnly.send(webDevice(JSON.stringify(sub)), payload))
      .rejects.toThrow('push subscription endpoint host 127.0.0.1 is not a push service this deployment allows (PUSH_ENDPOINT_HOSTS)');
    const internal = JSON.stringify({ ...sub, endpoint: `https://10.0.0.5/push/${sub.id}` });
    await expect(sender.send(webDevice(internal), payload)).rejects.toThrow(PushEndpointNotAllowedError);
    expect(endpoint.requests.filter((r) => r.subscriptionId === sub.id)).toEqual([]);
  });
});

describe('push errors and secrets', () => {
  it('maps HTTP statuses to the typed failures', () => {
    expect(pushErrorFor(404, '')).toBeInstanceOf(PushGoneError);
    expect(pushErrorFor(410, 'gone')).toBeInstanceOf(PushGoneError);
    expect(pushErrorFor(408, '')).toBeInstanceOf(PushRetryableError);
    expect(pushErrorFor(502, '')).toBeInstanceOf(PushRetryableError);
    expect(pushErrorFor(400, '')).toBeInstanceOf(PushPermanentError);
  });

  it('removes the endpoint path and keys from error text, and logs only the origin and device id', () => {
    const sub = { endpoint: 'https://fcm.googleapis.com/fcm/send/cSecretRegistrationId123:APA91b', keys: { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 9).toString('base64url') } };
    const device = webDevice(JSON.stringify(sub));
    const text = redactPushError(`404 for ${sub.endpoint} (${sub.keys.auth}) path /fcm/send/cSecretRegistrationId123:APA91b`, device);
    expect(text).not.toContain('cSecretRegistrationId123');
    expect(text).not.toContain(sub.keys.auth);
    expect(pushRecipient(device)).toBe(`https://fcm.googleapis.com (${device.deviceId})`);
    expect(parseWebSubscription(JSON.stringify({ ...sub, endpoint: 'ftp://x/y' }))).toBeNull();
  });
});

describe('VAPID keys and native adapters', () => {
  it('uses configured keys, generates a pair outside production, and refuses to run without keys in production', () => {
    const keys = webpush.generateVAPIDKeys();
    expect(resolveVapidKeys({ VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, VAPID_SUBJECT: 'mailto:a@b.c' }, true, silent))
      .toEqual({ ...keys, subject: 'mailto:a@b.c' });
    expect(resolveVapidKeys({ VAPID_SUBJECT: 'mailto:a@b.c' }, false, silent).publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(() => resolveVapidKeys({ VAPID_SUBJECT: 'mailto:a@b.c' }, true, silent)).toThrow(/required in production/);
    expect(() => resolveVapidKeys({ VAPID_PUBLIC_KEY: keys.publicKey, VAPID_SUBJECT: 'mailto:a@b.c' }, false, silent)).toThrow(/set together/);
    expect(() => resolveVapidKeys({ VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: 'A'.repeat(10), VAPID_SUBJECT: 'mailto:a@b.c' }, false, silent))
      .toThrow(/invalid VAPID configuration/);
  });

  it('routes by device type; ios and android report "not configured"', async () => {
    const sub = endpoint.subscribe();
    const routing = new RoutingPushSender({ web: sender, ios: new NotConfiguredPushSender('ios'), android: new NotConfiguredPushSender('android') });
    await expect(routing.send({ deviceId: 'x', deviceType: 'ios', token: 'apns-0123456789' }, payload)).rejects.toBeInstanceOf(PushNotConfiguredError);
    await expect(routing.send(webDevice(JSON.stringify(sub)), payload)).resolves.toEqual({ status: 'sent' });
    expect(endpoint.for(sub.id)).toHaveLength(1);
  });
});
