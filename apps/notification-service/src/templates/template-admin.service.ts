import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import type { AuthenticatedUser } from '@tally/security';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { NOTIFICATION_TYPES, NotificationTypeInfo, isNotificationType } from '../notifications/notification-types';
import { COMMON_TEMPLATE_VARIABLES, templateId, templateName } from './default-templates.data';
import { NotificationTemplate } from './notification-template.entity';
import { RenderedMessage, TemplateChannel, TemplateCompileError, assertCompiles } from './template-engine';
import { TemplateErrors } from './template.exceptions';
import { TemplateChanges, TemplateRepository } from './template.repository';
import { TemplateService } from './template.service';

export interface TemplateView {
  id: string;
  name: string;
  type: string;
  channel: string;
  language: string;
  subject: string | null;
  body: string;
  variables: Record<string, string>;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export const toTemplateView = (t: NotificationTemplate): TemplateView => ({
  id: t.id, name: t.name, type: t.notificationType, channel: t.channel, language: t.language, subject: t.subject ?? null, body: t.body,
  variables: t.variables, isActive: t.isActive, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
});

/** What a preview fills in for variables the admin left out. */
export const SAMPLE_VARIABLES: Readonly<Record<string, unknown>> = {
  recipientName: 'Alex',
  senderName: 'Sam',
  title: "Sam added 'Dinner' in Lisbon trip",
  message: "Sam added 'Dinner' (EUR 60.00) in Lisbon trip. Your share is EUR 20.00.",
  actionUrl: 'https://app.tally.example/groups/00000000-0000-4000-8000-000000000000',
  metadata: {},
};

export interface TemplateListQuery {
  limit: number;
  cursor?: string;
  type?: string;
  channel?: string;
  language?: string;
}

export interface NewTemplate {
  type: string;
  channel: string;
  language: string;
  subject?: string;
  body: string;
  variables?: Record<string, string>;
  isActive?: boolean;
}

function compiles(field: 'body' | 'subject', source: string | null | undefined): void {
  if (source == null) return;
  try {
    assertCompiles(source);
  } catch (err) {
    if (err instanceof TemplateCompileError) throw TemplateErrors.invalid(field, err.message);
    throw err;
  }
}

/** The admin API over templates: list, read, edit, add a language, preview. Platform admins only (403 ADMIN_REQUIRED otherwise). */
@Injectable()
export class TemplateAdminService {
  constructor(private readonly orm: MikroORM, private readonly templates: TemplateRepository, private readonly rendering: TemplateService) {}

  async list(actor: AuthenticatedUser, q: TemplateListQuery): Promise<CursorPage<TemplateView>> {
    this.requireAdmin(actor);
    const after = decodeCursor(q.cursor);
    const rows = await this.templates.list(freshEm(this.orm), { type: q.type, channel: q.channel, language: q.language, after }, q.limit + 1);
    return cursorPage(rows, q.limit, (t) => ({ at: t.createdAt, id: t.id }), toTemplateView);
  }

  async get(actor: AuthenticatedUser, id: string): Promise<TemplateView> {
    this.requireAdmin(actor);
    return toTemplateView(await this.find(id));
  }

  /** Only the fields given; body and subject must compile (400 TEMPLATE_INVALID with the engine's message). */
  async update(actor: AuthenticatedUser, id: string, changes: TemplateChanges): Promise<TemplateView> {
    this.requireAdmin(actor);
    const current = await this.find(id);
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as TemplateChanges;
    if (!Object.keys(given).length) return toTemplateView(current);
    if (given.subject === null && current.channel === 'email') throw TemplateErrors.subjectRequired();
    compiles('body', given.body);
    compiles('subject', given.subject);
    const updated = await this.templates.update(freshEm(this.orm), id, given);
    if (!updated) throw TemplateErrors.notFound();
    return toTemplateView(updated);
  }

  /** A new template (a language variant, say); 409 TEMPLATE_EXISTS when that type, channel and language has one. */
  async create(actor: AuthenticatedUser, input: NewTemplate): Promise<TemplateView> {
    this.requireAdmin(actor);
    if (!isNotificationType(input.type) || (NOTIFICATION_TYPES[input.type] as NotificationTypeInfo).transactional) throw TemplateErrors.typeNotTemplated(input.type);
    if (input.channel === 'email' && !input.subject) throw TemplateErrors.subjectRequired();
    compiles('body', input.body);
    compiles('subject', input.subject);
    const name = templateName(input.type, input.channel, input.language);
    const now = new Date();
    const t = Object.assign(new NotificationTemplate(), {
      id: templateId(name), name, notificationType: input.type, channel: input.channel as TemplateChannel, language: input.language,
      subject: input.subject ?? null, body: input.body, variables: input.variables ?? { ...COMMON_TEMPLATE_VARIABLES }, isActive: input.isActive ?? true,
      createdAt: now, updatedAt: now,
    });
    if (!(await this.templates.insert(freshEm(this.orm), t))) throw TemplateErrors.exists(input.type, input.channel, input.language);
    return toTemplateView(t);
  }

  /** The template rendered with the given variables (examples for the others), as it is now, active or not. */
  async preview(actor: AuthenticatedUser, id: string, variables: Record<string, unknown> = {}): Promise<RenderedMessage & { templateId: string }> {
    this.requireAdmin(actor);
    const t = await this.find(id);
    try {
      const out = this.rendering.renderTemplate({ id: t.id, updatedAt: t.updatedAt, channel: t.channel, subject: t.subject ?? null, body: t.body }, { ...SAMPLE_VARIABLES, ...variables });
      return { templateId: t.id, ...out };
    } catch (err) {
      if (err instanceof TemplateCompileError) throw TemplateErrors.invalid('body', err.message);
      // A runtime error of the engine with these variables (say, a helper given a wrong argument).
      throw TemplateErrors.invalid('body', (err as Error).message);
    }
  }

  private async find(id: string): Promise<NotificationTemplate> {
    const t = await this.templates.findById(freshEm(this.orm), id);
    if (!t) throw TemplateErrors.notFound();
    return t;
  }

  private requireAdmin(actor: AuthenticatedUser): void {
    if (actor.role !== 'admin') throw TemplateErrors.adminRequired();
  }
}
