import { GENERIC_TEMPLATES } from './default-templates.data';
import { SMS_MAX_LENGTH, TemplateCompileError, TemplateRenderer, TemplateSource, assertCompiles, truncate } from './template-engine';

const source = (over: Partial<TemplateSource> = {}): TemplateSource => ({
  id: '11111111-1111-4111-8111-111111111111', updatedAt: new Date('2026-12-06T10:00:00Z'), channel: 'email', ...GENERIC_TEMPLATES.email, ...over,
});

const vars = {
  recipientName: 'Bea', senderName: 'Ann', title: "Ann added 'Dinner' in Trip", message: 'Your share is EUR 20.00.',
  actionUrl: 'https://app.tally.example/expenses/42?tab=split&x=1', metadata: { groupName: 'Trip' },
};

describe('TemplateRenderer', () => {
  const renderer = new TemplateRenderer();

  it('renders an email: subject, text and an html part with the link clickable', () => {
    const out = renderer.render(source(), vars);
    expect(out.subject).toBe("Ann added 'Dinner' in Trip");
    expect(out.text).toBe(['Hi Bea,', '', 'Your share is EUR 20.00.', '', 'Open it in Tally: https://app.tally.example/expenses/42?tab=split&x=1', '', '— The Tally team'].join('\n'));
    expect(out.html).toContain('<p>Hi Bea,</p>');
    // Handlebars escapes = as &#x3D; too: the same URL once the HTML is parsed
    expect(out.html).toContain('<a href="https://app.tally.example/expenses/42?tab&#x3D;split&amp;x&#x3D;1">');
  });

  it('escapes variables in html and leaves them as they are in text and subject', () => {
    const evil = { ...vars, title: '<script>alert(1)</script>', message: 'Tom & "Jerry" <img src=x onerror=alert(1)>' };
    const out = renderer.render(source({ body: '{{title}}\n\n{{message}}' }), evil);
    expect(out.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out.html).toContain('Tom &amp; &quot;Jerry&quot; &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(out.html).not.toContain('<script>');
    expect(out.html).not.toContain('<img');
    expect(out.text).toBe('<script>alert(1)</script>\n\nTom & "Jerry" <img src=x onerror=alert(1)>');
    expect(out.subject).toBe('<script>alert(1)</script>');
  });

  it('keeps a subject on one line (no header injection through a title)', () => {
    const out = renderer.render(source(), { ...vars, title: 'Hello\r\nBcc: victim@example.com' });
    expect(out.subject).toBe('Hello Bcc: victim@example.com');
  });

  it('without a recipient name or link, says "Hi," and leaves no empty lines behind', () => {
    const out = renderer.render(source(), { title: 't', message: 'Something happened.' });
    expect(out.text).toBe('Hi,\n\nSomething happened.\n\n— The Tally team');
  });

  it('reads type-specific details under metadata', () => {
    const out = renderer.render(source({ channel: 'push', subject: null, body: 'In {{metadata.groupName}}: {{message}}' }), vars);
    expect(out).toEqual({ subject: null, text: 'In Trip: Your share is EUR 20.00.', html: null });
  });

  it('renders push with its heading and no html', () => {
    const out = renderer.render(source({ channel: 'push', ...GENERIC_TEMPLATES.push }), vars);
    expect(out).toEqual({ subject: "Ann added 'Dinner' in Trip", text: 'Your share is EUR 20.00.', html: null });
  });

  it(`cuts an SMS to ${SMS_MAX_LENGTH} characters with "…"`, () => {
    const long = renderer.render(source({ channel: 'sms', ...GENERIC_TEMPLATES.sms }), { ...vars, message: 'x'.repeat(400) });
    expect(Array.from(long.text)).toHaveLength(SMS_MAX_LENGTH);
    expect(long.text.endsWith('…')).toBe(true);
    expect(long.text.startsWith('Tally: xxx')).toBe(true);
    const short = renderer.render(source({ channel: 'sms', ...GENERIC_TEMPLATES.sms }), vars);
    expect(short.text).toBe('Tally: Your share is EUR 20.00. https://app.tally.example/expenses/42?tab=split&x=1');
  });

  it('uses the edited body once the template changes (the cache is keyed by id and updatedAt)', () => {
    const r = new TemplateRenderer();
    expect(r.render(source({ channel: 'push', subject: null, body: 'one {{message}}' }), vars).text).toBe('one Your share is EUR 20.00.');
    expect(r.render(source({ channel: 'push', subject: null, body: 'two {{message}}', updatedAt: new Date('2026-12-06T10:05:00Z') }), vars).text).toBe('two Your share is EUR 20.00.');
    // the same updatedAt with another body (two edits in one millisecond) is still the new body
    expect(r.render(source({ channel: 'push', subject: null, body: 'three {{message}}', updatedAt: new Date('2026-12-06T10:05:00Z') }), vars).text).toBe('three Your share is EUR 20.00.');
  });

  it('does not reach prototypes through variables', () => {
    const out = renderer.render(source({ channel: 'push', subject: null, body: '[{{constructor}}][{{__proto__}}][{{title.constructor.name}}]' }), vars);
    expect(out.text).toBe('[][][]');
  });
});

describe('assertCompiles', () => {
  it('accepts the built-in helpers', () => {
    expect(() => assertCompiles('{{#if a}}{{b}}{{else}}{{#each c}}{{this}}{{/each}}{{/if}}{{#unless d}}x{{/unless}}{{#with metadata}}{{groupName}}{{/with}}')).not.toThrow();
  });

  it.each([
    ['an unclosed block', '{{#if title}}no end', /Parse error|Expecting/],
    ['an unknown helper', '{{shout title}}', /unknown helper shout/],
    ['triple-stash output', 'Hi {{{title}}}', /Unescaped output/],
    ['ampersand output', 'Hi {{& title}}', /Unescaped output/],
    ['unescaped output inside a block', '{{#if a}}{{{title}}}{{/if}}', /Unescaped output/],
    ['a partial', '{{> footer}}', /Partials/],
    ['a mismatched close', '{{#if a}}x{{/each}}', /doesn't match|match/],
  ])('refuses %s with the reason', (_, body, reason) => {
    expect(() => assertCompiles(body)).toThrow(TemplateCompileError);
    expect(() => assertCompiles(body)).toThrow(reason);
  });
});

describe('truncate', () => {
  it('counts characters, not UTF-16 units', () => {
    expect(truncate('😀'.repeat(5), 5)).toBe('😀'.repeat(5));
    expect(truncate('😀'.repeat(6), 5)).toBe(`${'😀'.repeat(4)}…`);
  });
});
