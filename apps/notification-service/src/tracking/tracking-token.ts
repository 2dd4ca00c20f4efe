import { createHmac, timingSafeEqual } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function mac(secret: string, kind: 'open' | 'click', deliveryId: string): string {
  return createHmac('sha256', secret).update(`${kind}:${deliveryId}`).digest('base64url').slice(0, 32);
}

/**
 * The token in an email's open pixel or tracked link: the delivery id and an HMAC of it (per kind),
 * so nobody can mark someone else's email opened or make the click route redirect anywhere (the
 * redirect goes to the notification's own action URL).
 */
export function trackingToken(secret: string, kind: 'open' | 'click', deliveryId: string): string {
  return `${deliveryId}.${mac(secret, kind, deliveryId)}`;
}

/** The delivery id of a genuine token, or null. */
export function verifyTrackingToken(secret: string, kind: 'open' | 'click', token: string): string | null {
  const dot = token.indexOf('.');
  if (dot < 0) return null;
  const id = token.slice(0, dot).toLowerCase();
  const given = Buffer.from(token.slice(dot + 1));
  if (!UUID.test(id)) return null;
  const expected = Buffer.from(mac(secret, kind, id));
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

export interface EmailTracking {
  /** The gateway's public URL, where the open and click routes are served. */
  baseUrl: string;
  secret: string;
}

export function openPixelUrl(t: EmailTracking, deliveryId: string): string {
  return `${t.baseUrl.replace(/\/+$/, '')}/email/open/${trackingToken(t.secret, 'open', deliveryId)}`;
}

export function clickUrl(t: EmailTracking, deliveryId: string): string {
  return `${t.baseUrl.replace(/\/+$/, '')}/email/click/${trackingToken(t.secret, 'click', deliveryId)}`;
}

/** The html with the open pixel before `</body>` (or at the end). */
export function withOpenPixel(html: string, pixelUrl: string): string {
  const img = `<img src="${pixelUrl}" width="1" height="1" alt="" style="display:none">`;
  const i = html.toLowerCase().lastIndexOf('</body>');
  return i < 0 ? html + img : html.slice(0, i) + img + html.slice(i);
}
