import { maskSecrets, renderNotificationEmail, renderVerificationEmail, verificationLink, RenderError } from './email-renderer';

const token = 'tok_9f8A-7b_6C5d4E3f2G1h0iJkLmNoP';

describe('renderVerificationEmail', () => {
  const base = { firstName: 'Ann', token, expiresAt: new Date('2026-11-23T10:00:00.000Z'), appPublicUrl: 'http://localhost:8080' };

  it('puts the verification link and the token on its own line in the text part', () => {
    const email = renderVerificationEmail(base);
    const lines = email.text.split('\n');
    expect(email.text).toContain(`http://localhost:8080/verify-email?token=${token}`);
    expect(lines).toContain(`http://localhost:8080/verify-email?token=${token}`);
    expect(lines).toContain(token);
    expect(email.subject).toBe('Verify your email address for Tally');
  });

  it('greets by first name, or without one', () => {
    expect(renderVerificationEmail(base).text.startsWith('Hi Ann,\n')).toBe(true);
    expect(renderVerificationEmail({ ...base, firstName: null }).text.startsWith('Hi,\n')).toBe(true);
  });

  it('states when the link expires, and omits it when unknown', () => {
    expect(renderVerificationEmail(base).text).toContain('This link expires at 2026-11-23 10:00:00 UTC.');
    expect(renderVerificationEmail({ ...base, expiresAt: null }).text).not.toContain('expires');
  });

  it('tolerates a trailing slash on the public URL and encodes the token in the query', () => {
    expect(verificationLink('https://app.tally.example/', 'a b+c')).toBe('https://app.tally.example/verify-email?token=a%20b%2Bc');
  });

  it('escapes user-controlled values in the HTML part and keeps names on one line', () => {
    const email = renderVerificationEmail({ ...base, firstName: '<b>Ann</b>\r\nBcc: x@evil' });
    expect(email.html).toContain('Hi &lt;b&gt;Ann&lt;/b&gt; Bcc: x@evil,');
    expect(email.html).not.toContain('<b>Ann</b>');
    expect(email.text.split('\n')[0]).toBe('Hi <b>Ann</b> Bcc: x@evil,');
    expect(email.html).toContain(`href="http://localhost:8080/verify-email?token=${token}"`);
  });
});

describe('renderNotificationEmail', () => {
  const verification = {
    notificationType: 'email_verification', title: 'Verify your email address', message: 'Please confirm…',
    actionUrl: '/verify-email', metadata: { firstName: 'Ann' }, expiresAt: null, secretToken: token,
  };

  it('renders a verification notification from its stored secret', () => {
    expect(renderNotificationEmail(verification, 'http://localhost:8080').text).toContain(`/verify-email?token=${token}`);
  });

  it('refuses a verification notification whose secret is gone', () => {
    expect(() => renderNotificationEmail({ ...verification, secretToken: null }, 'http://x')).toThrow(RenderError);
  });

  it('renders other types as title, message and absolute link', () => {
    const email = renderNotificationEmail(
      { notificationType: 'expense_added', title: 'New expense\nin Trip', message: 'Bob added "Dinner"', actionUrl: '/groups/1', metadata: {} },
      'https://app.tally.example/',
    );
    expect(email.subject).toBe('New expense in Trip');
    expect(email.text).toContain('https://app.tally.example/groups/1');
    expect(email.html).toContain('Bob added &quot;Dinner&quot;');
  });
});

describe('the registration attempt email', () => {
  it('tells the owner they already have an account, their username and what to do, with names escaped', () => {
    const email = renderNotificationEmail(
      { notificationType: 'registration_attempted', title: 't', message: 'm', metadata: { firstName: '<b>Ann</b>', username: 'ann_1' } },
      'https://app.tally.example/',
    );
    expect(email.subject).toBe('You already have a Tally account');
    expect(email.text.startsWith('Hi <b>Ann</b>,\n')).toBe(true);
    expect(email.text).toContain('Your username is ann_1.');
    expect(email.text).toMatch(/reset/);
    expect(email.text).toContain('https://app.tally.example ');
    expect(email.html).toContain('Hi &lt;b&gt;Ann&lt;/b&gt;,');
  });
});

describe('maskSecrets', () => {
  it('masks token-like query values and leaves other text alone', () => {
    expect(maskSecrets(`see http://h/verify-email?token=${token}&x=1 now`)).toBe('see http://h/verify-email?token=***&x=1 now');
    expect(maskSecrets('/verify-email')).toBe('/verify-email');
    expect(maskSecrets(null)).toBeNull();
  });
});

describe('the group invitation email', () => {
  const invitation = {
    notificationType: 'group_invitation', title: 't', message: 'm', actionUrl: '/invitations/x',
    metadata: {
      invitationId: '3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c', groupName: 'Trip to Lisbon', inviterName: 'Ann',
      invitationMessage: 'Join us! <script>alert(1)</script> & "bring" snacks\nSee you', expiresAt: '2026-12-09T10:00:00.000Z',
    },
    expiresAt: new Date('2026-12-09T10:00:00.000Z'),
  };

  it('says who invited whom to which group, with the message, the link and the expiry', () => {
    const email = renderNotificationEmail(invitation, 'https://app.tally.example/');
    expect(email.subject).toBe('Ann invited you to Trip to Lisbon on Tally');
    expect(email.text).toContain('Ann invited you to join the group "Trip to Lisbon" on Tally');
    expect(email.text.split('\n')).toContain('https://app.tally.example/invitations/3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c');
    expect(email.text).toContain('> Join us! <script>alert(1)</script> & "bring" snacks\n> See you');
    expect(email.text).toContain('sign in to Tally with this email address');
    expect(email.text).toContain('create one with this email address');
    expect(email.text).toContain('This invitation expires at 2026-12-09 10:00:00 UTC.');
    expect(email.html).toContain('href="https://app.tally.example/invitations/3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c"');
    expect(email.html).toContain('Trip to Lisbon');
    expect(email.html).toContain('Join us! &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;bring&quot; snacks<br>See you');
    expect(email.html).not.toContain('<script>');
  });

  it('names an unnamed inviter "Someone", omits an absent message and keeps names on one line', () => {
    const email = renderNotificationEmail(
      { ...invitation, metadata: { ...invitation.metadata, inviterName: null, invitationMessage: null, groupName: 'Flat\r\nBcc: x@evil' } },
      'http://localhost:8080',
    );
    expect(email.subject).toBe('Someone invited you to Flat Bcc: x@evil on Tally');
    expect(email.text).toContain('Someone invited you to join the group "Flat Bcc: x@evil"');
    expect(email.text).not.toContain('wrote:');
    expect(email.html).not.toContain('<blockquote>');
  });

  it('escapes the group and inviter names in the HTML part', () => {
    const email = renderNotificationEmail({ ...invitation, metadata: { ...invitation.metadata, inviterName: '<b>Ann</b>', groupName: '<i>G</i>' } }, 'http://h');
    expect(email.html).toContain('&lt;b&gt;Ann&lt;/b&gt; invited you to join the group &quot;&lt;i&gt;G&lt;/i&gt;&quot;');
    expect(email.html).not.toContain('<b>Ann</b>');
  });
});
