import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32).toString('base64');
  const box = new SecretBox(key);

  it('round-trips, and never shows the plaintext or repeats a ciphertext', () => {
    const a = box.seal('{"d":"private-part"}');
    const b = box.seal('{"d":"private-part"}');
    expect(SecretBox.isSealed(a)).toBe(true);
    expect(a).not.toContain('private-part');
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe('{"d":"private-part"}');
  });

  it('refuses a tampered value and the wrong key', () => {
    const sealed = box.seal('secret');
    const [prefix, rest] = [sealed.slice(0, 10), sealed.slice(10)];
    const parts = rest.split('.');
    parts[2] = Buffer.from('other').toString('base64url');
    expect(() => box.open(prefix + parts.join('.'))).toThrow();
    expect(() => new SecretBox(randomBytes(32).toString('base64')).open(sealed)).toThrow();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
