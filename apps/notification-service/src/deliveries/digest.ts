import Handlebars from 'handlebars';

/** One notification in a digest. */
export interface DigestItem {
  title: string;
  message: string;
  /** Absolute link, or null. */
  url: string | null;
  createdAt: Date;
}

const hb = Handlebars.create();
const HTML = hb.compile(
  `<!doctype html><html><body style="font-family:sans-serif">
<p>{{#if name}}Hi {{name}},{{else}}Hi,{{/if}}</p>
<p>Here {{#if one}}is what happened{{else}}are the {{count}} things that happened{{/if}} on Tally since your last digest:</p>
<ul>
{{#each items}}<li><p><strong>{{#if url}}<a href="{{url}}">{{title}}</a>{{else}}{{title}}{{/if}}</strong><br>{{message}}</p></li>
{{/each}}</ul>
<p>You get these {{frequency}} because of your notification preferences; change them in the app's settings.</p>
<p>— The Tally team</p>
</body></html>`,
  { strict: false },
);
const TEXT = hb.compile(
  `{{#if name}}Hi {{name}},{{else}}Hi,{{/if}}

Here {{#if one}}is what happened{{else}}are the {{count}} things that happened{{/if}} on Tally since your last digest:

{{#each items}}- {{title}}
  {{message}}{{#if url}}
  {{url}}{{/if}}

{{/each}}You get these {{frequency}} because of your notification preferences; change them in the app's settings.

— The Tally team
`,
  { noEscape: true },
);

/**
 * One email gathering a recipient's waiting notifications (oldest first), HTML-escaped in the html
 * part by Handlebars; the text part is not escaped (it is text).
 */
export function renderDigest(name: string | null, frequency: string, items: readonly DigestItem[]): { subject: string; text: string; html: string } {
  const vars = { name: name ? oneLine(name) : null, count: items.length, one: items.length === 1, frequency: frequency === 'immediate' ? 'now' : frequency, items };
  return {
    subject: items.length === 1 ? `Tally: ${oneLine(items[0].title)}` : `Tally: ${items.length} notifications`,
    text: TEXT(vars),
    html: HTML(vars),
  };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

/** An app path made absolute against the app's public URL (absolute ones are kept). */
export function absoluteUrl(appPublicUrl: string, path: string | null | undefined): string | null {
  if (!path) return null;
  if (/^https?:\/\//i.test(path)) return path;
  return `${appPublicUrl.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}
