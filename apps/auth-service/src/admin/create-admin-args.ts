import { parseArgs } from 'node:util';

/** sysexits(3) codes, so scripts can tell a typo from a missing user from a broken database. */
export const ExitCode = {
  Ok: 0,
  /** Anything unexpected: database unreachable, schema not migrated, ... */
  Failure: 1,
  /** EX_USAGE: bad arguments. */
  Usage: 64,
  /** EX_NOUSER: no account with that email or username. */
  NoUser: 67,
  /** EX_DATAERR: the account exists but cannot be made an admin (deactivated). */
  DataError: 65,
  /** EX_CONFIG: the service's configuration (env) is not valid. */
  Config: 78,
} as const;

export const USAGE = `Usage: node dist/apps/auth-service/src/admin/create-admin.js (--email <email> | --username <username>) [--superuser]

Promotes an existing, active account to admin (role = 'admin'), and with --superuser also sets
is_superuser. Writes user.role_changed to the outbox in the same transaction. Running it again is
harmless. It never removes is_superuser. Reads the auth-service configuration from the environment
(DATABASE_URL, PORT, KAFKA_BROKERS, ...); it does not connect to Kafka.

Exit codes: 0 done (or nothing to do), 1 unexpected failure, 64 bad usage, 65 account deactivated,
67 no such account, 78 invalid configuration.`;

export interface CreateAdminArgs {
  email?: string;
  username?: string;
  superuser: boolean;
}

export type ParsedArgs = { ok: true; args: CreateAdminArgs } | { ok: false; help: boolean; error?: string };

export function parseCreateAdminArgs(argv: string[]): ParsedArgs {
  let values: { email?: string; username?: string; superuser?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        email: { type: 'string' },
        username: { type: 'string' },
        superuser: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { ok: false, help: false, error: (err as Error).message };
  }
  if (values.help) return { ok: false, help: true };
  const email = values.email?.trim();
  const username = values.username?.trim();
  if (!email === !username) return { ok: false, help: false, error: 'give exactly one of --email and --username' };
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) return { ok: false, help: false, error: '--email is not an email address' };
  return { ok: true, args: { email, username, superuser: !!values.superuser } };
}
