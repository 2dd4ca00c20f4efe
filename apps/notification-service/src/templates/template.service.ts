import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GENERIC_TEMPLATES } from './default-templates.data';
import { RenderedMessage, TemplateChannel, TemplateRenderer, TemplateSource } from './template-engine';
import { TemplateRepository } from './template.repository';

export interface RenderRequest {
  /** A notification type (NOTIFICATION_TYPES key). */
  type: string;
  channel: TemplateChannel;
  /** The recipient's language, e.g. `pt-BR`; null or malformed reads as English. */
  language?: string | null;
  /** `{ title, message, actionUrl, recipientName, senderName, metadata }` and anything else the template uses. */
  vars: Record<string, unknown>;
}

const LANGUAGE = /^([a-z]{2,3})(?:-([a-z]{2}))?$/i;

/** The languages to try, best first: `pt-BR` → `pt-BR`, `pt`, `en`. Malformed or missing: `en`. */
export function languageChain(language: string | null | undefined): string[] {
  const m = language ? LANGUAGE.exec(language.trim().replace('_', '-')) : null;
  if (!m) return ['en'];
  const base = m[1].toLowerCase();
  return [...new Set([...(m[2] ? [`${base}-${m[2].toUpperCase()}`] : []), base, 'en'])];
}

/** The built-in fallback of a channel, when a type has no active template in any of the languages. */
const builtIn = (channel: TemplateChannel): TemplateSource => ({ id: `builtin-${channel}`, updatedAt: new Date(0), channel, ...GENERIC_TEMPLATES[channel] });

/**
 * Renders a notification for a channel from its template. Needs no Nest app: the worker builds it as
 * `new TemplateService(new TemplateRepository())` and passes its own EntityManager.
 */
@Injectable()
export class TemplateService {
  private readonly renderer = new TemplateRenderer();
  private readonly logger = new Logger(TemplateService.name);

  constructor(private readonly templates: TemplateRepository) {}

  /**
   * The active template for (type, channel, language), falling back to the base language and then to
   * English, then to the channel's built-in generic template. Email: subject, text and html (every
   * `{{variable}}` HTML-escaped in html); push: text and the subject as its heading; SMS: text, at most
   * 320 characters (cut with "…"). A stored template that fails at render time (it compiled when it was
   * saved) is logged and the built-in one is used: a notification is never lost to a template.
   */
  async render(em: EntityManager, req: RenderRequest): Promise<RenderedMessage> {
    const chain = languageChain(req.language);
    const found = await this.templates.findActive(em, req.type, req.channel, chain);
    const best = found.sort((a, b) => chain.indexOf(a.language) - chain.indexOf(b.language))[0];
    if (best) {
      try {
        return this.renderer.render({ id: best.id, updatedAt: best.updatedAt, channel: best.channel, subject: best.subject ?? null, body: best.body }, req.vars);
      } catch (err) {
        this.logger.warn(`template ${best.id} (${best.name}) did not render, using the built-in one: ${(err as Error).message}`);
      }
    }
    return this.renderer.render(builtIn(req.channel), req.vars);
  }

  /** Renders the given template as it is (active or not): the admin preview. Throws TemplateCompileError. */
  renderTemplate(t: TemplateSource, vars: Record<string, unknown>): RenderedMessage {
    return this.renderer.render(t, vars);
  }
}
