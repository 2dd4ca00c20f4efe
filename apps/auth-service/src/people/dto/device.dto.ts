import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { IsNotBlank, MaxChars } from '@tally/service-kit';
import { trimText } from '../validators';

export const DEVICE_TYPES = ['ios', 'android', 'web'] as const;

/** APNs and FCM tokens. */
export const NATIVE_TOKEN_MAX = 255;
/** A web device's PushSubscription JSON (user_devices.device_token is VARCHAR(2048)). */
export const WEB_TOKEN_MAX = 2048;

const PRINTABLE = /^[\x21-\x7e]+$/;
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A web device's token in one canonical form, `{"endpoint":…,"keys":{"p256dh":…,"auth":…}}`, from
 * the browser's `JSON.stringify(subscription)` (or the object itself): the same subscription is
 * the same token whatever the key order, spacing or `expirationTime`. Anything that is not a
 * PushSubscription is returned as it came, for the validator to refuse.
 */
export function canonicalWebToken(value: unknown): unknown {
  let v: unknown = value;
  if (typeof value === 'string') {
    try { v = JSON.parse(value); } catch { return value; }
  }
  const s = v as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } } | null;
  if (!s || typeof s !== 'object' || typeof s.endpoint !== 'string' || !s.keys || typeof s.keys !== 'object') return value;
  const { p256dh, auth } = s.keys;
  if (typeof p256dh !== 'string' || typeof auth !== 'string') return value;
  let endpoint: string;
  try { endpoint = new URL(s.endpoint).href; } catch { return value; }
  return JSON.stringify({ endpoint, keys: { p256dh, auth } });
}

/**
 * Why a web token is not a usable PushSubscription, or null when it is: an https endpoint (http
 * only on loopback, for a local push endpoint in development and tests: notification-worker
 * refuses http endpoints in production anyway), no credentials in it, a P-256 public key (65 bytes)
 * and a 16-byte auth secret, base64url. Which hosts it may name is DeviceService's check against
 * PUSH_ENDPOINT_HOSTS (an SSRF guard; plain http only where an entry says `http://`).
 */
export function webTokenProblem(token: string): string | null {
  let s: { endpoint: string; keys: { p256dh: string; auth: string } };
  try { s = JSON.parse(token); } catch { return 'must be the PushSubscription JSON (endpoint, keys.p256dh, keys.auth)'; }
  if (!s || typeof s !== 'object' || typeof s.endpoint !== 'string' || !s.keys || typeof s.keys.p256dh !== 'string' || typeof s.keys.auth !== 'string') {
    return 'must be the PushSubscription JSON (endpoint, keys.p256dh, keys.auth)';
  }
  let url: URL;
  try { url = new URL(s.endpoint); } catch { return 'endpoint must be a URL'; }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return 'endpoint must be an https URL';
  if (url.username || url.password) return 'endpoint must not hold credentials';
  const { p256dh, auth } = s.keys;
  if (!B64URL.test(p256dh) || Buffer.from(p256dh, 'base64url').length !== 65 || Buffer.from(p256dh, 'base64url')[0] !== 4) {
    return 'keys.p256dh must be a base64url P-256 public key';
  }
  if (!B64URL.test(auth) || Buffer.from(auth, 'base64url').length !== 16) return 'keys.auth must be a base64url 16-byte secret';
  return null;
}

function deviceTokenProblem(value: unknown, deviceType: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (deviceType === 'web') {
    if (value.length > WEB_TOKEN_MAX) return `must be at most ${WEB_TOKEN_MAX} characters long`;
    if (!PRINTABLE.test(value)) return 'must be printable ASCII without spaces';
    return webTokenProblem(value);
  }
  if (value.length < 8 || value.length > NATIVE_TOKEN_MAX) return `must be 8 to ${NATIVE_TOKEN_MAX} characters long`;
  if (!PRINTABLE.test(value)) return 'must be printable ASCII without spaces';
  return null;
}

/** The push token, by device type: APNs/FCM 8–255 printable ASCII; web a PushSubscription (see webTokenProblem). */
function IsDeviceToken(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({
    name: 'isDeviceToken',
    validator: {
      validate: (v: unknown, args?: ValidationArguments) => deviceTokenProblem(v, (args?.object as RegisterDeviceDto | undefined)?.deviceType) === null,
      defaultMessage: (args?: ValidationArguments) =>
        `deviceToken ${deviceTokenProblem(args?.value, (args?.object as RegisterDeviceDto | undefined)?.deviceType) ?? 'is invalid'}`,
    },
  }, options);
}

export class RegisterDeviceDto {
  /**
   * The push token of this app install: the APNs or FCM token (ios/android, 8–255 printable
   * ASCII), or for web the browser's PushSubscription as JSON (`JSON.stringify(subscription)`, up
   * to 2048 characters; the object itself is taken too), stored in a canonical form.
   */
  @Transform(({ value, obj }) => ((obj as { deviceType?: unknown }).deviceType === 'web' ? canonicalWebToken(value) : value))
  @IsString() @MaxChars(WEB_TOKEN_MAX) @IsDeviceToken()
  deviceToken!: string;

  @IsIn(DEVICE_TYPES, { message: 'deviceType must be one of ios, android, web' })
  deviceType!: (typeof DEVICE_TYPES)[number];

  /** Kept when absent on a re-registration; null clears it; an empty or blank string is refused. */
  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(100)
  deviceName?: string | null;
}
