import { PasswordPolicy } from './password-policy';

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
});
