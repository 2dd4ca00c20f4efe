/** What the worker hands to the mailer. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface VerificationEmailInput {
  firstName: string | null | undefined;
  token: string;
  /** When the token stops working. */
  expiresAt: Date | null | undefined;
  /** Public base URL of the web app, e.g. `https://app.tally.example` (a trailing slash is fine). */
  appPublicUrl: string;
}

export const VERIFY_EMAIL_PATH = '/verify-email';

export function verificationLink(appPublicUrl: string, token: string): string {
  return `${appPublicUrl.replace(/\/+$/, '')}${VERIFY_EMAIL_PATH}?token=${encodeURIComponent(token)}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Header-safe single line: no CR/LF (no header injection through a name). */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').trim();
}

/** `2026-11-23 10:00:00 UTC`. */
export function formatExpiry(expiresAt: Date): string {
  return expiresAt.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

interface TokenEmailCopy {
  subject: string;
  path: string;
  intro: string;
  button: string;
  codeLabel: string;
  ignore: string;
}

/** A message carrying a one-time token: the link, the token on its own line, when it expires. */
function renderTokenEmail(input: VerificationEmailInput, copy: TokenEmailCopy): RenderedEmail {
  const name = input.firstName ? oneLine(input.firstName) : '';
  const greeting = name ? `Hi ${name},` : 'Hi,';
  const link = `${input.appPublicUrl.replace(/\/+$/, '')}${copy.path}?token=${encodeURIComponent(input.token)}`;
  const expiry = input.expiresAt ? `This link expires at ${formatExpiry(input.expiresAt)}.` : '';
  const text = [
    greeting, '', `${copy.intro} by opening this link:`, '', link, '', `Or enter this ${copy.codeLabel} in the app:`, '', input.token, '',
    ...(expiry ? [expiry, ''] : []), copy.ignore, '', '— The Tally team', '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(copy.intro)}:</p>`,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(copy.button)}</a></p>`,
    `<p>Or enter this ${escapeHtml(copy.codeLabel)} in the app:</p>`,
    `<p><code>${escapeHtml(input.token)}</code></p>`,
    expiry ? `<p>${escapeHtml(expiry)}</p>` : '',
    `<p>${escapeHtml(copy.ignore)}</p>`,
    '<p>— The Tally team</p>',
    '</body></html>',
  ].join('\n');
  return { subject: copy.subject, text, html };
}

/**
 * The email-verification message. The text part has the link and, on its own line, the token
 * itself (for apps where the user pastes it).
 */
export function renderVerificationEmail(input: VerificationEmailInput): RenderedEmail {
  return renderTokenEmail(input, {
    subject: 'Verify your email address for Tally',
    path: VERIFY_EMAIL_PATH,
    intro: 'Please confirm your email address to finish setting up your Tally account',
    button: 'Verify my email address',
    codeLabel: 'verification code',
    ignore: 'If you did not create a Tally account, you can ignore this email.',
  });
}

export const RESET_PASSWORD_PATH = '/reset-password';

/** The password-reset message, built the same way. */
export function renderPasswordResetEmail(input: VerificationEmailInput): RenderedEmail {
  return renderTokenEmail(input, {
    subject: 'Reset your Tally password',
    path: RESET_PASSWORD_PATH,
    intro: 'Someone asked to reset your Tally password. Choose a new one',
    button: 'Reset my password',
    codeLabel: 'reset code',
    ignore: 'If you did not ask for this, ignore this email: your password stays as it is.',
  });
}

export interface RegistrationAttemptEmailInput {
  firstName: string | null | undefined;
  /** The username of the account that already has the address. */
  username: string;
  appPublicUrl: string;
}

/**
 * Tells the owner of an address that someone tried to register with it (OWASP: the sign-up form
 * answered as for a new account; the owner learns it here instead). No link that acts: it says what to do.
 */
export function renderRegistrationAttemptEmail(input: RegistrationAttemptEmailInput): RenderedEmail {
  const name = input.firstName ? oneLine(input.firstName) : '';
  const greeting = name ? `Hi ${name},` : 'Hi,';
  const app = input.appPublicUrl.replace(/\/+$/, '');
  const username = oneLine(input.username);
  const lines = [
    'Someone just tried to create a new Tally account with this email address. You already have one, so no new account was made and nothing about yours changed.',
    `Your username is ${username}.`,
    `If it was you: log in at ${app} with your username or this email address. If you forgot your password, ask for a reset ("Forgot password") and we will email you a link. If you never verified this address, ask for a new verification email.`,
    'If it was not you, you can ignore this email: nobody can use your account without your password.',
  ];
  const text = [greeting, '', ...lines.flatMap((l) => [l, '']), '— The Tally team', ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(greeting)}</p>`,
    ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    '<p>— The Tally team</p>',
    '</body></html>',
  ].join('\n');
  return { subject: 'You already have a Tally account', text, html };
}

export const INVITATIONS_PATH = '/invitations';

/** Where an invitation's link points (the gateway's invitation page), relative to the app's public URL. */
export function invitationPath(invitationId: string): string {
  return `${INVITATIONS_PATH}/${encodeURIComponent(invitationId)}`;
}

export interface GroupInvitationEmailInput {
  invitationId: string;
  groupName: string;
  /** How the invitation names the inviter; "Someone" when null. */
  inviterName: string | null | undefined;
  /** The inviter's own words, if any (user-controlled: escaped in HTML). */
  message: string | null | undefined;
  expiresAt: Date | null | undefined;
  appPublicUrl: string;
}

/**
 * The invitation to join a group, sent to an address that may have no account yet. The link opens a
 * page that says how to accept; accepting needs the account whose verified address this is, so the
 * email carries no secret.
 */
export function renderGroupInvitationEmail(input: GroupInvitationEmailInput): RenderedEmail {
  const inviter = (input.inviterName ? oneLine(input.inviterName) : '') || 'Someone';
  const group = oneLine(input.groupName);
  const link = `${input.appPublicUrl.replace(/\/+$/, '')}${invitationPath(input.invitationId)}`;
  const message = input.message?.trim() ? input.message.trim() : null;
  const intro = `${inviter} invited you to join the group "${group}" on Tally, where you share expenses and settle up together.`;
  const howTo =
    'To accept, sign in to Tally with this email address and accept the invitation. If you have no Tally account yet, create one with this email address (and verify it) first.';
  const expiry = input.expiresAt ? `This invitation expires at ${formatExpiry(input.expiresAt)}.` : '';
  const ignore = 'If you do not want to join, you can decline the invitation or just ignore this email.';
  const text = [
    'Hi,', '', intro, '',
    ...(message ? [`${inviter} wrote:`, '', ...message.split(/\r?\n/).map((l) => `> ${l}`), ''] : []),
    howTo, '', link, '',
    ...(expiry ? [expiry, ''] : []), ignore, '', '— The Tally team', '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    '<p>Hi,</p>',
    `<p>${escapeHtml(intro)}</p>`,
    message ? `<p>${escapeHtml(inviter)} wrote:</p>\n<blockquote>${escapeHtml(message).replace(/\r?\n/g, '<br>')}</blockquote>` : '',
    `<p>${escapeHtml(howTo)}</p>`,
    `<p><a href="${escapeHtml(link)}">See the invitation</a></p>`,
    `<p>${escapeHtml(link)}</p>`,
    expiry ? `<p>${escapeHtml(expiry)}</p>` : '',
    `<p>${escapeHtml(ignore)}</p>`,
    '<p>— The Tally team</p>',
    '</body></html>',
  ].join('\n');
  return { subject: `${inviter} invited you to ${group} on Tally`, text, html };
}

/** Replaces secrets in text shown back to users or operators (`token=…` query values, long opaque codes). */
export function maskSecrets(text: string): string;
export function maskSecrets(text: string | null | undefined): string | null;
export function maskSecrets(text: string | null | undefined): string | null {
  if (text == null) return null;
  return text.replace(/([?&](?:token|code|secret|key)=)[^&#\s"'<>]+/gi, '$1***');
}

/** A notification cannot be rendered (e.g. its secret is gone): retrying will not help. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** What rendering needs from a notification. */
export interface RenderableNotification {
  notificationType: string;
  title: string;
  message: string;
  actionUrl?: string | null;
  metadata: Record<string, unknown>;
  expiresAt?: Date | null;
  secretToken?: string | null;
}

/** The email for a notification, by its type; other types get a plain title/message/link email. */
export function renderNotificationEmail(n: RenderableNotification, appPublicUrl: string): RenderedEmail {
  if (n.notificationType === 'email_verification' || n.notificationType === 'password_reset') {
    if (!n.secretToken) throw new RenderError('the token is no longer available (cleared after expiry or delivery)');
    const firstName = typeof n.metadata.firstName === 'string' ? n.metadata.firstName : null;
    const input = { firstName, token: n.secretToken, expiresAt: n.expiresAt ?? null, appPublicUrl };
    return n.notificationType === 'email_verification' ? renderVerificationEmail(input) : renderPasswordResetEmail(input);
  }
  if (n.notificationType === 'registration_attempted' && typeof n.metadata.username === 'string') {
    const firstName = typeof n.metadata.firstName === 'string' ? n.metadata.firstName : null;
    return renderRegistrationAttemptEmail({ firstName, username: n.metadata.username, appPublicUrl });
  }
  if (n.notificationType === 'group_invitation' && typeof n.metadata.invitationId === 'string' && typeof n.metadata.groupName === 'string') {
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return renderGroupInvitationEmail({
      invitationId: n.metadata.invitationId,
      groupName: n.metadata.groupName,
      inviterName: str(n.metadata.inviterName),
      message: str(n.metadata.invitationMessage),
      expiresAt: n.expiresAt ?? null,
      appPublicUrl,
    });
  }
  const link = n.actionUrl ? (/^https?:\/\//.test(n.actionUrl) ? n.actionUrl : `${appPublicUrl.replace(/\/+$/, '')}${n.actionUrl.startsWith('/') ? '' : '/'}${n.actionUrl}`) : null;
  const text = [n.message, ...(link ? ['', link] : []), '', '— The Tally team', ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(n.message)}</p>`,
    link ? `<p><a href="${escapeHtml(link)}">Open in Tally</a></p>` : '',
    '<p>— The Tally team</p>',
    '</body></html>',
  ].join('\n');
  return { subject: oneLine(n.title), text, html };
}
