import * as argon2 from 'argon2';
import { ARGON2_OPTIONS, PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();
  // U+FB01 (the "fi" ligature) and full-width letters; NFKC: "fine-Pass-phrase-1".
  const typed = 'ﬁne-Ｐａｓｓ-phrase-1';
  const nfkc = 'fine-Pass-phrase-1';

  it('hashes the NFKC form, so either way of typing the password checks', async () => {
    const hash = await hasher.hash(typed);
    expect(await argon2.verify(hash, nfkc)).toBe(true);
    expect(await hasher.verify(hash, typed)).toBe(true);
    expect(await hasher.verify(hash, nfkc)).toBe(true);
    expect(await hasher.verify(hash, `${nfkc}x`)).toBe(false);
  });

  it('still accepts the typed text of a hash made before normalization, and only that text', async () => {
    const legacy = await argon2.hash(typed, { type: argon2.argon2id });
    expect(await hasher.verify(legacy, typed)).toBe(true);
    expect(await hasher.verify(legacy, nfkc)).toBe(false);
  });

  it("says when a right password's hash is of an old form: the typed text, other argon2 parameters, argon2i", async () => {
    expect(await hasher.check(await hasher.hash(typed), typed)).toEqual({ ok: true, stale: false });
    expect(await hasher.check(await argon2.hash(typed, ARGON2_OPTIONS), typed)).toEqual({ ok: true, stale: true });
    expect(await hasher.check(await argon2.hash(nfkc, { ...ARGON2_OPTIONS, timeCost: 3 }), nfkc)).toEqual({ ok: true, stale: true });
    expect(await hasher.check(await argon2.hash(nfkc, { ...ARGON2_OPTIONS, type: argon2.argon2i }), nfkc)).toEqual({ ok: true, stale: true });
    expect(await hasher.check(await argon2.hash(typed, ARGON2_OPTIONS), `${typed}x`)).toEqual({ ok: false });
  });

  it('never matches ill-formed text: every lone surrogate used to read as the same U+FFFD', async () => {
    const hash = await argon2.hash('long enough \ud800 password', { type: argon2.argon2id });
    expect(await argon2.verify(hash, 'long enough \udbff password')).toBe(true); // what argon2 alone does
    expect(await hasher.verify(hash, 'long enough \udbff password')).toBe(false);
    expect(await hasher.verify(hash, 'long enough \ud800 password')).toBe(false);
    expect(await hasher.verify(await hasher.hash('long enough password'), 'long enough\u0000 password')).toBe(false);
  });

  it('answers false for a malformed hash and for an unknown account', async () => {
    expect(await hasher.verify('not-a-hash', typed)).toBe(false);
    expect(await hasher.verifyAgainstDummy(typed)).toBe(false);
  });
});
