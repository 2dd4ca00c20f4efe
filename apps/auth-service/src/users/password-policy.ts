import { BadRequestException, Injectable } from '@nestjs/common';
import commonPasswords from 'fxa-common-password-list';
import { charLength, isWellFormedText } from '@tally/service-kit';
import { AuthErrors } from './auth.exceptions';

/**
 * The one form a password is compared and stored in: Unicode NFKC, as NIST SP 800-63B (5.1.1.2)
 * suggests, so the same password typed on another keyboard or input method (full-width letters,
 * ligatures, composed or decomposed accents) is the same password. Nothing else is changed: no
 * trimming, no case folding.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export const PASSWORD_MIN_CHARS = 8;

/**
 * What a password must be (OWASP ASVS 2.1, NIST SP 800-63B): well-formed Unicode (no NUL, no
 * unpaired UTF-16 surrogate: argon2 reads UTF-8, in which every lone surrogate is the same U+FFFD),
 * at least 8 characters once normalized (the DTOs bound the typed length to 8..128), not one of
 * the most common passwords (Mozilla's list of the top passwords of public breaches), and not the
 * account's own username or email.
 */
@Injectable()
export class PasswordPolicy {
  assertAcceptable(password: string, account: { username?: string; email?: string } = {}): void {
    if (!isWellFormedText(password)) throw invalid('must be well-formed text: no NUL characters and no unpaired UTF-16 surrogates');
    const normalized = normalizePassword(password);
    if (charLength(normalized) < PASSWORD_MIN_CHARS) throw invalid(`must be at least ${PASSWORD_MIN_CHARS} characters long`);
    const lower = normalized.toLowerCase();
    if (commonPasswords.test(normalized) || commonPasswords.test(lower)) throw AuthErrors.passwordTooCommon();
    const same = [account.username, account.email, account.email?.split('@')[0]].filter(Boolean).map((s) => normalizePassword(s!).toLowerCase());
    if (same.includes(lower)) throw AuthErrors.passwordLikeAccount();
  }
}

const invalid = (message: string) =>
  new BadRequestException({ message: 'The request is not valid.', errors: [{ field: 'password', message: `password ${message}` }] });
