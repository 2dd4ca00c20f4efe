import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@tally/config';
import { OutboxWriter } from '@tally/messaging';
import { initOrm } from '@tally/persistence';
import { AuthServiceConfig } from '../config/auth.config';
import { migrations } from '../migrations';
import { SERVICE_NAME, entities } from '../runtime';
import { promoteToAdmin } from './admin-bootstrap';
import { AdminUserRepository } from './admin-user.repository';
import { ExitCode, USAGE, parseCreateAdminArgs } from './create-admin-args';

/**
 * `node dist/apps/auth-service/src/admin/create-admin.js --email ann@example.com [--superuser]`:
 * bootstraps the first admin. See USAGE in create-admin-args.ts.
 */
async function main(argv: string[]): Promise<number> {
  const parsed = parseCreateAdminArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return ExitCode.Ok;
    }
    process.stderr.write(`create-admin: ${parsed.error}\n\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  let config: AuthServiceConfig;
  try {
    config = loadConfig(AuthServiceConfig);
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    process.stderr.write(`create-admin: ${err.message}\n`);
    return ExitCode.Config;
  }
  const orm = await initOrm({ databaseUrl: config.DATABASE_URL, entities, migrations, poolMax: 1 });
  try {
    const result = await promoteToAdmin(orm, new AdminUserRepository(), new OutboxWriter(SERVICE_NAME), parsed.args);
    const who = parsed.args.email ? `email ${parsed.args.email}` : `username ${parsed.args.username}`;
    switch (result.outcome) {
      case 'not_found':
        process.stderr.write(`create-admin: no account with ${who}; register it first\n`);
        return ExitCode.NoUser;
      case 'inactive':
        process.stderr.write(`create-admin: account ${result.username} (${result.userId}) is deactivated\n`);
        return ExitCode.DataError;
      default: {
        const as = result.isSuperuser ? 'admin and superuser' : 'admin';
        const what = result.outcome === 'promoted' ? `promoted to ${as}` : `already ${as}; nothing changed`;
        process.stdout.write(`create-admin: ${result.username} (${result.userId}) ${what}\n`);
        if (!result.isVerified) process.stdout.write('create-admin: note: the email address is not verified yet; the account cannot log in until it is\n');
        return ExitCode.Ok;
      }
    }
  } finally {
    await orm.close(true);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`create-admin: failed: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(ExitCode.Failure);
  },
);
