import { Injectable } from '@nestjs/common';
import commonPasswords from 'fxa-common-password-list';
import { AuthErrors } from './auth.exceptions';

/**
 * What a password must be (OWASP ASVS 2.1): 8 to 128 characters (the DTOs check length), not
 * one of the most common passwords (Mozilla's list of the top passwords of public breaches),
 * and not the account's own username or email.
 */
@Injectable()
export class PasswordPolicy {
  assertAcceptable(password: string, account: { username?: string; email?: string } = {}): void {
    const lower = password.toLowerCase();
    if (commonPasswords.test(password) || commonPasswords.test(lower)) throw AuthErrors.passwordTooCommon();
    const same = [account.username, account.email, account.email?.split('@')[0]].filter(Boolean).map((s) => s!.toLowerCase());
    if (same.includes(lower)) throw AuthErrors.passwordLikeAccount();
  }
}
