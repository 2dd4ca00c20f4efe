import { createHash } from 'node:crypto';
import { preferenceTypes } from '../notifications/notification-types';
import type { TemplateChannel } from './template-engine';

/**
 * The variables every template gets (the delivery planner passes the first six; `appName` is added).
 * Type-specific details are under `metadata` (what the producer stored with the notification).
 */
export const COMMON_TEMPLATE_VARIABLES: Readonly<Record<string, string>> = {
  recipientName: "The recipient's first name (or username); may be empty",
  senderName: 'Who caused the notification (the actor), when there is one; may be empty',
  title: "The notification's title, e.g. \"Ann added 'Dinner' in Trip\"",
  message: "The notification's message, one or two sentences",
  actionUrl: 'Absolute link to the thing in the web app; may be empty',
  metadata: 'Type-specific details as an object, e.g. {{metadata.groupName}} (what the producer stored)',
  appName: 'The product name, "Tally"',
};

export interface DefaultTemplate {
  id: string;
  name: string;
  notificationType: string;
  channel: TemplateChannel;
  language: string;
  subject: string | null;
  body: string;
  variables: Record<string, string>;
}

/** The generic template of each channel: the seeded default of every type, and the built-in fallback when a type has none. */
export const GENERIC_TEMPLATES: Readonly<Record<TemplateChannel, { subject: string | null; body: string }>> = {
  email: {
    subject: '{{title}}',
    body: [
      '{{#if recipientName}}Hi {{recipientName}},{{else}}Hi,{{/if}}',
      '',
      '{{message}}',
      '',
      '{{#if actionUrl}}Open it in {{appName}}: {{actionUrl}}{{/if}}',
      '',
      '— The {{appName}} team',
    ].join('\n'),
  },
  push: { subject: '{{title}}', body: '{{message}}' },
  sms: { subject: null, body: '{{appName}}: {{message}}{{#if actionUrl}} {{actionUrl}}{{/if}}' },
};

const TEMPLATE_NAMESPACE = '8d7c3c1e-5a0b-4f7e-9b1a-6f1f0e2d3c4b';

/** A template's fixed id, from its name (UUID v5 style): the same on every database. */
export function templateId(name: string): string {
  const ns = Buffer.from(TEMPLATE_NAMESPACE.replace(/-/g, ''), 'hex');
  const b = Buffer.from(createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const templateName = (type: string, channel: string, language: string) => `${type}_${channel}_${language}`;

/** The English email, push and SMS template of every type users receive (not the account emails, rendered in code). */
export function defaultTemplates(): DefaultTemplate[] {
  return preferenceTypes().flatMap((type) =>
    (['email', 'push', 'sms'] as const).map((channel) => {
      const name = templateName(type, channel, 'en');
      return { id: templateId(name), name, notificationType: type, channel, language: 'en', ...GENERIC_TEMPLATES[channel], variables: { ...COMMON_TEMPLATE_VARIABLES } };
    }),
  );
}
