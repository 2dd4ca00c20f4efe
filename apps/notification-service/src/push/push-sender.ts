/** A device as the push channel sees it (a row of push_devices). */
export interface PushTarget {
  deviceId: string;
  deviceType: 'ios' | 'android' | 'web';
  /** web: the PushSubscription JSON; ios/android: the APNs/FCM token. Secret: never logged. */
  token: string;
}

/** What a push shows: the service worker (web) or the OS (native) displays title and body, opens url. */
export interface PushPayload {
  title: string;
  body: string;
  url?: string | null;
  notificationId: string;
  /** How urgently the push service should wake the device (RFC 8030 Urgency); default normal. */
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

export interface PushSent {
  status: 'sent';
  /** e.g. the push service's message Location. */
  externalId?: string;
}

/** Base of the sender's typed failures; `status` is the push service's HTTP status when there was one. */
export abstract class PushError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = new.target.name;
  }
}
/** 404/410: the subscription or token no longer exists. Deactivate the device; never retry. */
export class PushGoneError extends PushError {}
/** 429, 5xx, network: try again later. */
export class PushRetryableError extends PushError {}
/** Anything else (400, 401, 403, 413, a malformed subscription): retrying cannot help. */
export class PushPermanentError extends PushError {}
/**
 * The subscription's endpoint is not a push service this deployment allows (PUSH_ENDPOINT_HOSTS, an
 * SSRF guard): nothing is sent; the device is deactivated and the delivery fails, without retry.
 */
export class PushEndpointNotAllowedError extends PushError {}
/** No adapter for this device type in this deployment (ios/android today): the attempt is skipped. */
export class PushNotConfiguredError extends PushError {}

/** The push channel's port: one payload to one device. */
export interface PushSender {
  send(device: PushTarget, payload: PushPayload): Promise<PushSent>;
}

/** Maps a push service's HTTP status to the typed failure. */
export function pushErrorFor(status: number, detail: string): PushError {
  const message = `push service answered ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`;
  if (status === 404 || status === 410) return new PushGoneError(message, status);
  if (status === 408 || status === 429 || status >= 500) return new PushRetryableError(message, status);
  return new PushPermanentError(message, status);
}

export interface WebSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Reads a web device's token (a PushSubscription JSON); null when it is not one. */
export function parseWebSubscription(token: string): WebSubscription | null {
  let v: unknown;
  try { v = JSON.parse(token); } catch { return null; }
  const s = v as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
  if (!s || typeof s !== 'object' || typeof s.endpoint !== 'string' || !s.keys || typeof s.keys !== 'object') return null;
  const { p256dh, auth } = s.keys;
  if (typeof p256dh !== 'string' || typeof auth !== 'string' || !B64URL.test(p256dh) || !B64URL.test(auth)) return null;
  let url: URL;
  try { url = new URL(s.endpoint); } catch { return null; }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (Buffer.from(p256dh, 'base64url').length !== 65 || Buffer.from(auth, 'base64url').length !== 16) return null;
  return { endpoint: s.endpoint, keys: { p256dh, auth } };
}

/**
 * What a log row may say about where a push went: the endpoint's origin for web (the path is a
 * capability, the keys are secret), the device id otherwise.
 */
export function pushRecipient(device: PushTarget): string {
  if (device.deviceType === 'web') {
    const s = parseWebSubscription(device.token);
    if (s) return `${new URL(s.endpoint).origin} (${device.deviceId})`.slice(0, 255);
  }
  return device.deviceId;
}

/** Removes a token's secrets (endpoint path, keys) from an error text before it is stored or logged. */
export function redactPushError(text: string, device: PushTarget): string {
  let out = text;
  const s = device.deviceType === 'web' ? parseWebSubscription(device.token) : null;
  const secrets = [device.token, ...(s ? [s.endpoint, s.keys.p256dh, s.keys.auth, new URL(s.endpoint).pathname] : [])]
    .filter((x) => x.length >= 8)
    .sort((a, b) => b.length - a.length);
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
