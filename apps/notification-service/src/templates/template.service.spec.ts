import type { EntityManager } from '@mikro-orm/postgresql';
import { NotificationTemplate } from './notification-template.entity';
import type { TemplateRepository } from './template.repository';
import { TemplateService, languageChain } from './template.service';

const em = {} as EntityManager;

function template(language: string, body: string, over: Partial<NotificationTemplate> = {}): NotificationTemplate {
  return Object.assign(new NotificationTemplate(), {
    id: `00000000-0000-4000-8000-00000000000${language.length}`, name: `expense_added_push_${language}`, notificationType: 'expense_added', channel: 'push',
    subject: null, body, variables: {}, isActive: true, language, createdAt: new Date(0), updatedAt: new Date(0), ...over,
  });
}

/** The repository's contract, over an array: active templates of a type and channel in the given languages. */
function repoWith(rows: NotificationTemplate[]): TemplateRepository {
  return {
    findActive: async (_em: EntityManager, type: string, channel: string, languages: string[]) =>
      rows.filter((r) => r.notificationType === type && r.channel === channel && languages.includes(r.language) && r.isActive),
  } as unknown as TemplateRepository;
}

const vars = { title: 'T', message: 'M' };

describe('languageChain', () => {
  it('tries the regional language, then its base, then English', () => {
    expect(languageChain('pt-BR')).toEqual(['pt-BR', 'pt', 'en']);
    expect(languageChain('pt_br')).toEqual(['pt-BR', 'pt', 'en']);
    expect(languageChain('de')).toEqual(['de', 'en']);
    expect(languageChain('en-GB')).toEqual(['en-GB', 'en']);
  });

  it('is English for nothing or nonsense', () => {
    expect(languageChain(null)).toEqual(['en']);
    expect(languageChain('')).toEqual(['en']);
    expect(languageChain('klingon-language')).toEqual(['en']);
  });
});

describe('TemplateService.render', () => {
  it("picks the recipient's exact language first", async () => {
    const s = new TemplateService(repoWith([template('en', 'en {{message}}'), template('pt', 'pt {{message}}'), template('pt-BR', 'br {{message}}')]));
    expect((await s.render(em, { type: 'expense_added', channel: 'push', language: 'pt-BR', vars })).text).toBe('br M');
  });

  it('falls back to the base language, then to English', async () => {
    const s = new TemplateService(repoWith([template('en', 'en {{message}}'), template('pt', 'pt {{message}}')]));
    expect((await s.render(em, { type: 'expense_added', channel: 'push', language: 'pt-BR', vars })).text).toBe('pt M');
    expect((await s.render(em, { type: 'expense_added', channel: 'push', language: 'fr', vars })).text).toBe('en M');
  });

  it('skips an inactive template', async () => {
    const s = new TemplateService(repoWith([template('en', 'en {{message}}'), template('pt', 'pt {{message}}', { isActive: false })]));
    expect((await s.render(em, { type: 'expense_added', channel: 'push', language: 'pt', vars })).text).toBe('en M');
  });

  it("uses the channel's built-in template when the type has none", async () => {
    const s = new TemplateService(repoWith([]));
    const email = await s.render(em, { type: 'budget_threshold', channel: 'email', language: 'en', vars: { ...vars, recipientName: 'Bea' } });
    expect(email.subject).toBe('T');
    expect(email.text).toBe('Hi Bea,\n\nM\n\n— The Tally team');
    expect(email.html).toContain('<p>M</p>');
  });

  it('uses the built-in template when a stored one fails to render', async () => {
    // stored before the rules of assertCompiles (a partial): it never reaches the recipient broken
    const s = new TemplateService(repoWith([template('en', '{{> missing}}')]));
    expect((await s.render(em, { type: 'expense_added', channel: 'push', language: 'en', vars })).text).toBe('M');
  });
});
