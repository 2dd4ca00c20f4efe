import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { isWellFormedText } from '@tally/service-kit';
import { normalizePassword } from './password-policy';

/** argon2id at OWASP's minimum recommended parameters: m=19 MiB, t=2, p=1. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * The outcome of a password check. `stale`: the password was right but its hash is of an old form,
 * so the caller should store `hash(password)` in its place (a login does, in its settling transaction):
 * the hash holds the text as typed rather than its NFKC form (made before normalization), or it is not
 * argon2id with ARGON2_OPTIONS' parameters and version.
 */
export type PasswordCheck = { ok: false } | { ok: true; stale: boolean };

/**
 * Hashes and checks passwords in their NFKC form (normalizePassword), the one documented form.
 *
 * Hashes made before passwords were normalized hold the text exactly as it was typed. For a
 * password whose NFKC form differs (rare: full-width letters, ligatures, decomposed accents),
 * `verify` also tries the typed text when the NFKC form does not match, so those accounts keep
 * working; it costs a second argon2 run only for such passwords, and the dummy check runs the same
 * number so timing tells nothing. The typed text can only match a hash of that very text, so this
 * accepts no password the user did not set. Ill-formed text (NUL, unpaired surrogates) never
 * matches: argon2 would read every lone surrogate as the same U+FFFD. A login that matched such an
 * old-form hash (or one with older argon2 parameters) rehashes it to the current form (`check`'s `stale`).
 */
@Injectable()
export class PasswordHasher {
  private dummy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(normalizePassword(password), ARGON2_OPTIONS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return (await this.check(hash, password)).ok;
  }

  /** Whether the password is right, and whether its hash is of an old form that should be replaced. */
  async check(hash: string, password: string): Promise<PasswordCheck> {
    if (!isWellFormedText(password)) return { ok: false };
    const normalized = normalizePassword(password);
    if (await this.argonVerify(hash, normalized)) return { ok: true, stale: isOldParameters(hash) };
    if (normalized !== password && (await this.argonVerify(hash, password))) return { ok: true, stale: true };
    return { ok: false };
  }

  /** Spends the same time as a real check, so "no such user" is not faster than "wrong password". */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('dummy-password-for-timing');
    await this.verify(await this.dummy, password);
    return false;
  }

  private async argonVerify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}

/** A hash that is not argon2id, or whose version or cost parameters are not ARGON2_OPTIONS' (argon2's needsRehash ignores the type). */
function isOldParameters(hash: string): boolean {
  if (!hash.startsWith('$argon2id$')) return true;
  try {
    return argon2.needsRehash(hash, ARGON2_OPTIONS);
  } catch {
    return true;
  }
}
