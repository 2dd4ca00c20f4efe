import { createHash } from 'node:crypto';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';
import { IDENTITY_PROJECTION_SQL, IDENTITY_PROJECTION_SQL_V2, IDENTITY_PROJECTION_SQL_V3 } from './schema';

const digest = (statements: readonly string[]) => createHash('sha256').update(statements.join('\n;\n')).digest('hex');

/**
 * Shipped migrations run these library constants. A database that already ran a migration never runs it
 * again, so editing a shipped constant would leave old and new databases different for ever: a change is
 * a new constant run by a new migration. If this fails, undo the edit and add `_V<n+1>` instead.
 */
describe('schema constants run by shipped migrations are frozen', () => {
  it.each([
    ['MESSAGING_SCHEMA_SQL (every service\'s first migration)', MESSAGING_SCHEMA_SQL, 'acb5607b55fa0db74afbe31175c8457d566b5817d12a3a90d3157c1eedd06a1b'],
    ['IDENTITY_PROJECTION_SQL (first migrations)', IDENTITY_PROJECTION_SQL, 'ed5cd6d960b3ac9f23fab0390acd07633d6e02375c01e289564bb028cdd3b5ef'],
    ['IDENTITY_PROJECTION_SQL_V2 (Migration20261201000100_identity_projection_event_time)', IDENTITY_PROJECTION_SQL_V2, '3a3c52556158b0ae35b0d9782f684459d82f75b5f74fe4c8e6cf20614e73803b'],
    ['IDENTITY_PROJECTION_SQL_V3 (Migration20261208000100_signing_key_token_lifetime)', IDENTITY_PROJECTION_SQL_V3, '5ce38a5ff0aaca6bb13d1d28cbb1938225784eb84aff88edef146188c3619e95'],
  ])('%s', (_name, statements, expected) => {
    expect(digest(statements)).toBe(expected);
  });
});
