import { Writable } from 'node:stream';
import { PinoNestLogger, createLogger, redactErrorText } from './logger';

const TOKEN = 'nV3q9ZkR2xW7bT4mY8pL1cH6dF0sJ5gA-_e2uOiQrKw';

describe('redactErrorText', () => {
  it('takes the inlined values out of an SQL statement in a driver or MikroORM message', () => {
    const text = `insert into "password_resets" ("id", "token", "expires_at") values ('3f2c1a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70', '${TOKEN}', '2026-12-01') - duplicate key value violates unique constraint "password_resets_token_key"`;
    const out = redactErrorText(text);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('duplicate key value violates unique constraint "password_resets_token_key"');
    expect(out).toContain(`values ('[REDACTED]', '[REDACTED]', '[REDACTED]')`);
    expect(redactErrorText(`UPDATE users SET note = 'it''s ${TOKEN}' WHERE id = 1`)).toBe(`UPDATE users SET note = '[REDACTED]' WHERE id = 1`);
  });

  it("takes out PostgreSQL's DETAIL: the key, the failing row, a DETAIL line", () => {
    expect(redactErrorText(`Key (token)=(${TOKEN}) already exists.`)).toBe('Key (token)=([REDACTED]) already exists.');
    expect(redactErrorText(`Key (user_id, token)=(u1, abc) is not present in table "x".`)).toBe('Key (user_id, token)=([REDACTED]) is not present in table "x".');
    expect(redactErrorText('Failing row contains (secret value, -1).')).toBe('Failing row contains ([REDACTED]).');
    expect(redactErrorText('new row violates check constraint "c"\nDETAIL:  the row was (hunter2)\nHINT: none')).toBe('new row violates check constraint "c"\nDETAIL: [REDACTED]\nHINT: none');
  });

  it('takes out token-shaped substrings anywhere, and keeps UUIDs and ordinary words', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQtMTIzNDU2';
    expect(redactErrorText(`cannot verify ${jwt}`)).toBe('cannot verify [REDACTED].[REDACTED].[REDACTED]');
    expect(redactErrorText(`reset ${TOKEN} expired`)).toBe('reset [REDACTED] expired');
    expect(redactErrorText('hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 differs')).toBe('hash [REDACTED] differs');
    const kept = 'Error: cannot apply 3f2c1a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70: FST_ERR_CTP_BODY_TOO_LARGE at handler_that_is_named_long (reading \'email\')';
    expect(redactErrorText(kept)).toBe(kept);
  });
});

describe('the service logger', () => {
  const capture = () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'info', new Writable({ write: (c, _e, done) => void (lines.push(String(c)), done()) }));
    return { logger, text: () => lines.join('') };
  };

  it('redacts the message, stack, detail and query of a logged error, and drops bound values', () => {
    const { logger, text } = capture();
    const err = Object.assign(new Error(`insert into t (token) values ('${TOKEN}') - duplicate key`), {
      detail: `Key (token)=(${TOKEN}) already exists.`,
      query: `insert into t (token) values ('${TOKEN}')`,
      parameters: [TOKEN],
    });
    logger.error({ err }, 'handler keeps failing');
    logger.warn({ err: err.message }, 'retrying');
    expect(text()).not.toContain(TOKEN);
    expect(text()).toContain('duplicate key');
    expect(text()).toContain('Key (token)=([REDACTED]) already exists.');
  });

  it("redacts Nest's error messages and stacks", () => {
    const { logger, text } = capture();
    const nest = new PinoNestLogger(logger);
    nest.error(new Error(`token ${TOKEN} is wrong`));
    nest.error(`token ${TOKEN} is wrong`, `Error: token ${TOKEN}\n    at x`, 'Ctx');
    expect(text()).not.toContain(TOKEN);
    expect(text()).toContain('is wrong');
  });
});
