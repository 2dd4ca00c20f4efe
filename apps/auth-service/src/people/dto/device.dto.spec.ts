import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { RegisterDeviceDto } from './device.dto';

const keys = { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url'), auth: Buffer.alloc(16, 3).toString('base64url') };
/** What Chrome's `JSON.stringify(subscription)` gives: an FCM endpoint, expirationTime, the keys. */
const chrome = { endpoint: `https://fcm.googleapis.com/fcm/send/${'c'.repeat(11)}:APA91b${'H'.repeat(140)}`, expirationTime: null, keys };

function parse(body: Record<string, unknown>) {
  const dto = plainToInstance(RegisterDeviceDto, body);
  return { dto, errors: validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {})) };
}

describe('RegisterDeviceDto', () => {
  it('takes a browser PushSubscription (JSON or object) as a web token, in one canonical form', () => {
    const asJson = parse({ deviceType: 'web', deviceToken: JSON.stringify(chrome) });
    const asObject = parse({ deviceType: 'web', deviceToken: { keys: { auth: keys.auth, p256dh: keys.p256dh }, endpoint: chrome.endpoint } });
    expect(asJson.errors).toEqual([]);
    expect(asObject.errors).toEqual([]);
    expect(asJson.dto.deviceToken).toBe(JSON.stringify({ endpoint: chrome.endpoint, keys }));
    expect(asObject.dto.deviceToken).toBe(asJson.dto.deviceToken);
    expect(asJson.dto.deviceToken.length).toBeGreaterThan(255);
  });

  it('takes http endpoints on loopback only (a local push endpoint), https anywhere', () => {
    expect(parse({ deviceType: 'web', deviceToken: JSON.stringify({ endpoint: 'http://127.0.0.1:4100/push/abc', keys }) }).errors).toEqual([]);
    expect(parse({ deviceType: 'web', deviceToken: JSON.stringify({ endpoint: 'http://localhost/push/abc', keys }) }).errors).toEqual([]);
    expect(parse({ deviceType: 'web', deviceToken: JSON.stringify({ endpoint: 'http://push.example.com/abc', keys }) }).errors)
      .toContain('deviceToken endpoint must be an https URL');
    expect(parse({ deviceType: 'web', deviceToken: JSON.stringify({ endpoint: 'https://u:p@push.example.com/abc', keys }) }).errors)
      .toContain('deviceToken endpoint must not hold credentials');
  });

  it.each([
    ['not JSON', 'push-token-abcdefgh', 'deviceToken must be the PushSubscription JSON (endpoint, keys.p256dh, keys.auth)'],
    ['no keys', JSON.stringify({ endpoint: chrome.endpoint }), 'deviceToken must be the PushSubscription JSON (endpoint, keys.p256dh, keys.auth)'],
    ['a short p256dh', JSON.stringify({ endpoint: chrome.endpoint, keys: { ...keys, p256dh: 'BAAA' } }), 'deviceToken keys.p256dh must be a base64url P-256 public key'],
    ['a long auth', JSON.stringify({ endpoint: chrome.endpoint, keys: { ...keys, auth: Buffer.alloc(32).toString('base64url') } }), 'deviceToken keys.auth must be a base64url 16-byte secret'],
    ['a huge endpoint', JSON.stringify({ endpoint: `https://push.example.com/${'a'.repeat(2100)}`, keys }), 'deviceToken must be at most 2048 characters long'],
  ])('refuses a web token with %s', (_what, deviceToken, message) => {
    expect(parse({ deviceType: 'web', deviceToken }).errors).toContain(message);
  });

  it('keeps APNs/FCM tokens to 8–255 printable characters', () => {
    expect(parse({ deviceType: 'ios', deviceToken: 'a'.repeat(64) }).errors).toEqual([]);
    expect(parse({ deviceType: 'android', deviceToken: 'a'.repeat(256) }).errors).toContain('deviceToken must be 8 to 255 characters long');
    expect(parse({ deviceType: 'ios', deviceToken: 'short' }).errors).toContain('deviceToken must be 8 to 255 characters long');
    expect(parse({ deviceType: 'ios', deviceToken: 'has a space in it' }).errors).toContain('deviceToken must be printable ASCII without spaces');
    // A subscription is not an APNs token.
    expect(parse({ deviceType: 'ios', deviceToken: JSON.stringify(chrome) }).errors).toContain('deviceToken must be 8 to 255 characters long');
  });
});
