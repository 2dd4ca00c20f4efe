import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
}

export interface SentEmail {
  messageId: string;
  /** The server's final reply, e.g. `250 OK: message queued`. */
  response: string;
  accepted: string[];
  rejected: string[];
}

/** The delivery port; SMTP behind it here, fakes in unit tests. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<SentEmail>;
  /** Connects and (if configured) authenticates, without sending. */
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  pass?: string;
  from: string;
  timeoutMs: number;
  maxConnections: number;
}

/** SMTP failures that no retry can fix (5xx replies: mailbox unknown, message refused). */
export function isPermanentSmtpError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export class SmtpMailer implements Mailer {
  private readonly transporter: Transporter;

  constructor(private readonly opts: SmtpOptions) {
    this.transporter = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      // No AUTH when no user is configured (local catchers, relays trusting the network).
      ...(opts.user ? { auth: { user: opts.user, pass: opts.pass ?? '' } } : {}),
      pool: true,
      maxConnections: opts.maxConnections,
      maxMessages: 100,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
    });
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const info = await this.transporter.sendMail({
      from: this.opts.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      ...(email.html ? { html: email.html } : {}),
      ...(email.headers ? { headers: email.headers } : {}),
    });
    const addr = (a: unknown) => (typeof a === 'string' ? a : ((a as { address?: string })?.address ?? String(a)));
    return {
      messageId: String(info.messageId ?? ''),
      response: String(info.response ?? ''),
      accepted: ((info.accepted ?? []) as unknown[]).map(addr),
      rejected: ((info.rejected ?? []) as unknown[]).map(addr),
    };
  }

  async verify(): Promise<void> {
    await this.transporter.verify();
  }

  close(): void {
    this.transporter.close();
  }
}
