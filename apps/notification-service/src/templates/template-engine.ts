import Handlebars from 'handlebars';
import { LRUCache } from 'lru-cache';

/** The channels a template is for (in-app notifications carry their own title and message). */
export const TEMPLATE_CHANNELS = ['email', 'push', 'sms'] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];

/** What a channel's message is made of. `html` only for email; `subject` for email (always) and push (its heading, when the template has one). */
export interface RenderedMessage {
  subject: string | null;
  text: string;
  html: string | null;
}

/** The parts of a template that rendering needs. `id` + `updatedAt` key the compiled cache. */
export interface TemplateSource {
  id: string;
  updatedAt: Date;
  channel: TemplateChannel;
  subject: string | null;
  body: string;
}

/** A template the engine refuses: a syntax error, an unknown helper, a partial, or unescaped output. */
export class TemplateCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateCompileError';
  }
}

export const SMS_MAX_LENGTH = 320;
export const DEFAULT_APP_NAME = 'Tally';

const engine = Handlebars.create();
const COMPILE_OPTIONS = { knownHelpersOnly: true, strict: false } as const;

type Node = { type: string; escaped?: boolean; program?: { body: Node[] } | null; inverse?: { body: Node[] } | null; loc?: { start: { line: number; column: number } } };

const where = (n: Node) => (n.loc ? ` (line ${n.loc.start.line}, column ${n.loc.start.column})` : '');

/** Refuses what the engine would compile but we do not allow: raw output `{{{x}}}`/`{{&x}}`, partials and decorators. */
function checkNodes(nodes: Node[]): void {
  for (const n of nodes) {
    if (n.type === 'MustacheStatement' && n.escaped === false) {
      throw new TemplateCompileError(`Unescaped output ({{{…}}} or {{&…}}) is not allowed${where(n)}: every variable is escaped in HTML.`);
    }
    if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') throw new TemplateCompileError(`Partials ({{> …}}) are not available${where(n)}.`);
    if (n.type === 'DecoratorBlock' || n.type === 'Decorator') throw new TemplateCompileError(`Decorators ({{* …}}) are not available${where(n)}.`);
    if (n.program) checkNodes(n.program.body);
    if (n.inverse) checkNodes(n.inverse.body);
  }
}

/**
 * Throws TemplateCompileError with the engine's message when `source` does not compile: syntax,
 * helpers other than the built-in ones (if, unless, each, with, lookup, log), partials, decorators or
 * triple-stash output.
 */
export function assertCompiles(source: string): void {
  try {
    checkNodes(engine.parse(source).body as unknown as Node[]);
    engine.precompile(source, COMPILE_OPTIONS);
  } catch (err) {
    if (err instanceof TemplateCompileError) throw err;
    throw new TemplateCompileError((err as Error).message);
  }
}

/** Line endings unified, trailing spaces gone, at most one blank line in a row, no blank lines at either end. */
function tidy(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** The HTML part from the escaped rendering: blank lines separate paragraphs, line breaks stay, http(s) links become links. */
function htmlDocument(escapedBody: string): string {
  const link = (s: string) => s.replace(/\bhttps?:\/\/[^\s<>"]+/g, (url) => `<a href="${url}">${url}</a>`);
  const paragraphs = tidy(escapedBody).split(/\n\n/).filter(Boolean).map((p) => `<p>${link(p).replace(/\n/g, '<br>\n')}</p>`);
  return ['<!doctype html><html><body style="font-family:sans-serif">', ...paragraphs, '</body></html>'].join('\n');
}

/** At most `max` characters (code points), the last one "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();

type Compiled = (vars: Record<string, unknown>) => string;
interface CompiledTemplate {
  source: TemplateSource;
  html: Compiled;
  text: Compiled;
  subject: Compiled | null;
}

/**
 * Renders templates with Handlebars, keeping compiled ones (by template id and `updatedAt`, so an
 * edited template is compiled again). `{{x}}` is HTML-escaped in the email's html part and left as is
 * in text parts, subjects, push and SMS (compiled with `noEscape`).
 */
export class TemplateRenderer {
  private readonly cache = new LRUCache<string, CompiledTemplate>({ max: 500 });

  render(t: TemplateSource, vars: Record<string, unknown>): RenderedMessage {
    const c = this.compiled(t);
    const input: Record<string, unknown> = { appName: DEFAULT_APP_NAME, ...vars };
    const text = tidy(c.text(input));
    switch (t.channel) {
      case 'email':
        return { subject: truncate(oneLine(c.subject ? c.subject(input) : String(input.title ?? '')), 200), text, html: htmlDocument(c.html(input)) };
      case 'push':
        return { subject: c.subject ? truncate(oneLine(c.subject(input)), 200) : null, text, html: null };
      case 'sms':
        return { subject: null, text: truncate(text, SMS_MAX_LENGTH), html: null };
    }
  }

  private compiled(t: TemplateSource): CompiledTemplate {
    const key = `${t.id}@${t.updatedAt.getTime()}`;
    const hit = this.cache.get(key);
    // The source is compared too: two edits within one millisecond never serve the older one.
    if (hit && hit.source.body === t.body && hit.source.subject === t.subject) return hit;
    assertCompiles(t.body);
    if (t.subject !== null) assertCompiles(t.subject);
    const c: CompiledTemplate = {
      source: { ...t },
      html: engine.compile(t.body, { ...COMPILE_OPTIONS, noEscape: false }),
      text: engine.compile(t.body, { ...COMPILE_OPTIONS, noEscape: true }),
      subject: t.subject !== null ? engine.compile(t.subject, { ...COMPILE_OPTIONS, noEscape: true }) : null,
    };
    this.cache.set(key, c);
    return c;
  }
}
