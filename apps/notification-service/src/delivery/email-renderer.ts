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

function formatExpiry(expiresAt: Date): string {
  return expiresAt.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

/**
 * The email-verification message. The text part has the link and, on its own line, the token
 * itself (for apps where the user pastes it).
 */
export function renderVerificationEmail(input: VerificationEmailInput): RenderedEmail {
  const name = input.firstName ? oneLine(input.firstName) : '';
  const greeting = name ? `Hi ${name},` : 'Hi,';
  const link = verificationLink(input.appPublicUrl, input.token);
  const expiry = input.expiresAt ? `This link expires at ${formatExpiry(input.expiresAt)}.` : '';
  const text = [
    greeting,
    '',
    'Please confirm your email address to finish setting up your Tally account by opening this link:',
    '',
    link,
    '',
    'Or enter this verification code in the app:',
    '',
    input.token,
    '',
    ...(expiry ? [expiry, ''] : []),
    "If you did not create a Tally account, you can ignore this email.",
    '',
    '— The Tally team',
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(greeting)}</p>`,
    '<p>Please confirm your email address to finish setting up your Tally account:</p>',
    `<p><a href="${escapeHtml(link)}">Verify my email address</a></p>`,
    '<p>Or enter this verification code in the app:</p>',
    `<p><code>${escapeHtml(input.token)}</code></p>`,
    expiry ? `<p>${escapeHtml(expiry)}</p>` : '',
    '<p>If you did not create a Tally account, you can ignore this email.</p>',
    '<p>— The Tally team</p>',
    '</body></html>',
  ].join('\n');
  return { subject: 'Verify your email address for Tally', text, html };
}

export const RESET_PASSWORD_PATH = '/reset-password';

/** The password-reset message: the link, the token on its own line, and what to do if it was not you. */
export function renderPasswordResetEmail(input: VerificationEmailInput): RenderedEmail {
  const name = input.firstName ? oneLine(input.firstName) : '';
  const greeting = name ? `Hi ${name},` : 'Hi,';
  const link = `${input.appPublicUrl.replace(/\/+$/, '')}${RESET_PASSWORD_PATH}?token=${encodeURIComponent(input.token)}`;
  const expiry = input.expiresAt ? `This link expires at ${formatExpiry(input.expiresAt)}.` : '';
  const text = [
    greeting,
    '',
    'Someone asked to reset your Tally password. To choose a new one, open this link:',
    '',
    link,
    '',
    'Or enter this reset code in the app:',
    '',
    input.token,
    '',
    ...(expiry ? [expiry, ''] : []),
    'If you did not ask for this, ignore this email: your password stays as it is.',
    '',
    '— The Tally team',
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(greeting)}</p>`,
    '<p>Someone asked to reset your Tally password. To choose a new one:</p>',
    `<p><a href="${escapeHtml(link)}">Reset my password</a></p>`,
    '<p>Or enter this reset code in the app:</p>',
    `<p><code>${escapeHtml(input.token)}</code></p>`,
    expiry ? `<p>${escapeHtml(expiry)}</p>` : '',
    '<p>If you did not ask for this, ignore this email: your password stays as it is.</p>',
    '<p>— The Tally team</p>',
    '</body></html>',
  ].join('\n');
  return { subject: 'Reset your Tally password', text, html };
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
