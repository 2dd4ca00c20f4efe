import { randomUUID } from 'node:crypto';
import { clickUrl, openPixelUrl, trackingToken, verifyTrackingToken, withOpenPixel } from './tracking-token';

const SECRET = 'a-secret-of-at-least-thirty-two-chars!';

describe('email tracking tokens', () => {
  it('verifies its own tokens, per kind, and nothing forged', () => {
    const id = randomUUID();
    expect(verifyTrackingToken(SECRET, 'open', trackingToken(SECRET, 'open', id))).toBe(id);
    expect(verifyTrackingToken(SECRET, 'click', trackingToken(SECRET, 'open', id))).toBeNull();
    expect(verifyTrackingToken('another-secret-of-thirty-two-chars!!', 'open', trackingToken(SECRET, 'open', id))).toBeNull();
    const other = randomUUID();
    expect(verifyTrackingToken(SECRET, 'open', `${other}.${trackingToken(SECRET, 'open', id).split('.')[1]}`)).toBeNull();
    for (const bad of ['', 'x', `${id}.`, 'not-a-uuid.abc', `${id}.${'A'.repeat(32)}`]) expect(verifyTrackingToken(SECRET, 'open', bad)).toBeNull();
  });

  it('builds the pixel and click URLs under the public base and puts the pixel before </body>', () => {
    const id = randomUUID();
    const t = { baseUrl: 'https://api.tally.test/', secret: SECRET };
    expect(openPixelUrl(t, id)).toMatch(new RegExp(`^https://api\\.tally\\.test/email/open/${id}\\.[A-Za-z0-9_-]{32}$`));
    expect(clickUrl(t, id)).toMatch(new RegExp(`^https://api\\.tally\\.test/email/click/${id}\\.`));
    expect(withOpenPixel('<html><body><p>Hi</p></body></html>', 'https://x/p')).toBe('<html><body><p>Hi</p><img src="https://x/p" width="1" height="1" alt="" style="display:none"></body></html>');
  });
});
