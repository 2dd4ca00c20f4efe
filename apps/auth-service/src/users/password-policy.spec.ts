import { PasswordPolicy, normalizePassword } from './password-policy';

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy();

  it.each(['password123', '12345678', 'iloveyou', 'qwertyuiop', 'Password123'])('refuses the common password %s', (pw) => {
    expect(() => policy.assertAcceptable(pw)).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_COMMON', status: 400 }));
  });

  it('refuses the username, the email or its local part', () => {
    const account = { username: 'ann_smith', email: 'ann.smith@example.com' };
    for (const pw of ['ann_smith', 'ANN_SMITH', 'ann.smith@example.com', 'ann.smith']) {
      expect(() => policy.assertAcceptable(pw, account)).toThrow(expect.objectContaining({ code: 'PASSWORD_LIKE_ACCOUNT' }));
    }
  });

  it('accepts an uncommon passphrase', () => {
    expect(() => policy.assertAcceptable('violet otter 42 fences', { username: 'ann', email: 'a@x.io' })).not.toThrow();
  });

  it('compares in the NFKC form: a full-width common password is still common', () => {
    expect(normalizePassword('ｐａｓｓｗｏｒｄ１２３')).toBe('password123');
    expect(() => policy.assertAcceptable('ｐａｓｓｗｏｒｄ１２３')).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_COMMON' }));
    expect(() => policy.assertAcceptable('ａｎｎ＿ｓｍｉｔｈ', { username: 'ann_smith' })).toThrow(expect.objectContaining({ code: 'PASSWORD_LIKE_ACCOUNT' }));
  });

  it.each([
    ['a NUL character', 'violet otter\u0000 42'],
    ['a lone high surrogate', 'violet otter \ud800 42'],
    ['a lone low surrogate', 'violet otter \udc00 42'],
  ])('refuses a password with %s (400, field password)', (_what, pw) => {
    expect(() => policy.assertAcceptable(pw)).toThrow(expect.objectContaining({ status: 400, response: expect.objectContaining({ errors: [expect.objectContaining({ field: 'password' })] }) }));
  });

  it('counts the length of the normalized password: 8 decomposed accents are 4 characters', () => {
    const decomposed = 'e\u0301'.repeat(4); // 8 code units, NFKC: "éééé"
    expect(() => policy.assertAcceptable(decomposed)).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => policy.assertAcceptable('😀🐙🦊🌵🍋🚲🎈🧩')).not.toThrow(); // 8 characters, 16 code units
  });
});
