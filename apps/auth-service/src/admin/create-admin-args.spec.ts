import { ExitCode, USAGE, parseCreateAdminArgs } from './create-admin-args';

describe('parseCreateAdminArgs', () => {
  it('takes an email or a username, and --superuser', () => {
    expect(parseCreateAdminArgs(['--email', 'ann@example.com'])).toEqual({ ok: true, args: { email: 'ann@example.com', username: undefined, superuser: false } });
    expect(parseCreateAdminArgs(['--username', 'ann', '--superuser'])).toEqual({ ok: true, args: { email: undefined, username: 'ann', superuser: true } });
    expect(parseCreateAdminArgs(['--email=ann@example.com', '--superuser'])).toMatchObject({ ok: true, args: { email: 'ann@example.com', superuser: true } });
  });

  it.each([
    [[]],
    [['--superuser']],
    [['--email', 'a@x.io', '--username', 'ann']],
    [['--email', 'not-an-email']],
    [['--email', '']],
    [['--email']],
    [['--mail', 'a@x.io']],
    [['ann@example.com']],
    [['--superuser=yes', '--email', 'a@x.io']],
  ])('refuses %j with a reason', (argv) => {
    const r = parseCreateAdminArgs(argv as string[]);
    expect(r).toMatchObject({ ok: false, help: false, error: expect.any(String) });
  });

  it('answers --help and -h with the usage', () => {
    expect(parseCreateAdminArgs(['--help'])).toEqual({ ok: false, help: true });
    expect(parseCreateAdminArgs(['-h'])).toEqual({ ok: false, help: true });
    expect(USAGE).toMatch(/^Usage: node dist\/apps\/auth-service\/src\/admin\/create-admin\.js/);
    for (const code of Object.values(ExitCode)) if (code) expect(USAGE).toContain(String(code));
  });
});
