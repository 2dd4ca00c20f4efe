import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { CONFIG } from '@tally/service-kit';
import { AuthServiceConfig } from '../config/auth.config';
import { SigningKeyService } from '../keys/signing-key.service';
import { OwnUserView, toOwnUserView } from '../people/views';
import { PasswordReset, RefreshToken } from './account.entities';
import { AccountRepository } from './account.repository';
import { AuthErrors } from './auth.exceptions';
import { EmailVerificationEvents } from './email-verification.events';
import { ChangePasswordDto, EmailDto, LoginDto, RefreshDto, RegisterDto, ResetPasswordDto, VerifyEmailDto } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { PasswordResetEvents } from './password-reset.events';
import { PhoneNumberEvents } from './phone-number.events';
import { EmailVerification, User } from './user.entity';
import { UserEvents } from './user.events';
import { UserRepository } from './user.repository';

/** One representation of the user's own account, shared with PATCH /users/me. */
export type UserView = OwnUserView;
export const toUserView = toOwnUserView;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The key of a login's failure counter: the SHA-256 of the login as typed, trimmed and lower-cased (as it is looked up). */
export function loginKey(login: string): string {
  return hashToken(login.trim().toLowerCase());
}

/** The counter keys of both logins of an account (its username and its email). */
export function accountLoginKeys(user: Pick<User, 'username' | 'email'>): string[] {
  return [loginKey(user.username), loginKey(user.email)];
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface Session {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: UserView;
}

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly orm: MikroORM,
    private readonly users: UserRepository,
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly keys: SigningKeyService,
    private readonly outbox: OutboxWriter,
    @Inject(CONFIG) private readonly config: AuthServiceConfig,
  ) {}

  // ---- registration and verification ---------------------------------------------------

  /**
   * Creates the user, its verification token and both events in one transaction. When the email
   * already has an account, nothing is created and that account's owner is mailed instead
   * (`email_verification.registration_attempted`); the caller gets the same answer either way, so
   * registration cannot tell whether an address has an account (OWASP). A taken username is still
   * refused (409): usernames are public.
   */
  async register(dto: RegisterDto): Promise<void> {
    this.policy.assertAcceptable(dto.password, dto);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      await inTransaction(this.orm, async (em) => {
        const taken = await this.users.existsByEmailOrUsername(em, dto.email, dto.username);
        if (taken.username) throw AuthErrors.usernameTaken();
        if (taken.email) return this.tellEmailOwner(em, dto.email);
        const user = new User();
        user.id = randomUUID();
        user.username = dto.username;
        user.email = dto.email;
        user.password = passwordHash;
        user.firstName = dto.firstName ?? null;
        user.lastName = dto.lastName ?? null;
        user.phoneNumber = dto.phoneNumber ?? null;
        if (dto.timezone) user.timezone = dto.timezone;
        if (dto.preferredCurrency) user.preferredCurrency = dto.preferredCurrency;
        await this.users.insert(em, user);
        await this.outbox.append(em, UserEvents.registered(user));
        if (user.phoneNumber) await this.outbox.append(em, PhoneNumberEvents.changed(user));
        await this.issueVerification(em, user);
      });
    } catch (err) {
      // Two registrations racing for one email or username: the unique index decides.
      if (err instanceof UniqueConstraintViolationException) {
        if (/username/.test(err.message)) throw AuthErrors.usernameTaken();
        await inTransaction(this.orm, (em) => this.tellEmailOwner(em, dto.email));
        return;
      }
      throw err;
    }
  }

  /** Someone tried to register with the address of an active account: its owner is told by email. */
  private async tellEmailOwner(em: EntityManager, email: string): Promise<void> {
    const owner = await this.users.findByEmail(em, email);
    if (!owner || !owner.isActive) return;
    await this.outbox.append(em, EmailVerificationEvents.registrationAttempted(owner));
  }

  /** A fresh single-use token (older unused ones stop working), mailed through notification-service. */
  private async issueVerification(em: EntityManager, user: User): Promise<void> {
    await this.accounts.invalidateVerifications(em, user.id);
    const token = newSecret();
    const v = new EmailVerification();
    v.id = randomUUID();
    v.userId = user.id;
    v.token = hashToken(token);
    v.email = user.email;
    v.expiresAt = new Date(Date.now() + this.config.EMAIL_VERIFICATION_TTL_HOURS * 3600 * 1000);
    await this.users.insertVerification(em, v);
    await this.outbox.append(em, EmailVerificationEvents.requested(user, v, token));
  }

  /** Always the same answer, so it cannot tell who has an account. */
  async resendVerification(dto: EmailDto): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const user = await this.users.findByEmail(em, dto.email);
      if (!user || user.isVerified || !user.isActive) return;
      await this.issueVerification(em, user);
    });
  }

  async verifyEmail(dto: VerifyEmailDto): Promise<UserView> {
    return inTransaction(this.orm, async (em) => {
      const v = await this.users.findVerificationForUpdate(em, hashToken(dto.token));
      if (!v || v.isUsed) throw AuthErrors.tokenInvalid();
      if (v.expiresAt.getTime() < Date.now()) throw AuthErrors.tokenExpired();
      const user = await this.users.findById(em, v.userId);
      if (!user || user.email.toLowerCase() !== v.email.toLowerCase()) throw AuthErrors.tokenInvalid();
      v.isUsed = true;
      user.isVerified = true;
      await this.users.flush(em);
      await this.outbox.append(em, UserEvents.emailVerified(user, v.email));
      return toUserView(user);
    });
  }

  // ---- login, lockout, sessions --------------------------------------------------------

  /**
   * Login by email or username. LOCKOUT_THRESHOLD failures in a row of one login (as typed) lock
   * it for LOCKOUT_DURATION_SECONDS (423), with the same answers whether or not an account has it;
   * the account itself gets no more than LOCKOUT_THRESHOLD password checks per lock either, across
   * its username and email, but its lock shows only as wrong passwords, so locking one login never
   * tells which other login is the same account (docs/adr/0007).
   *
   * Each check is reserved before the password is hashed, atomically per login and per account
   * (row locks), and counted as a failure until its outcome is known: concurrent attempts cannot
   * get more than LOCKOUT_THRESHOLD checks between them.
   */
  async login(dto: LoginDto, meta: RequestMeta = {}): Promise<Session> {
    const { LOCKOUT_THRESHOLD: threshold, LOCKOUT_DURATION_SECONDS: lockSeconds } = this.config;
    const key = loginKey(dto.login);
    const user = await this.users.findForLogin(freshEm(this.orm), dto.login);
    const attempt = await inTransaction(this.orm, (em) => this.accounts.reserveLoginAttempt(em, key, user?.id ?? null, threshold, lockSeconds));
    if (attempt === 'locked') {
      await this.hasher.verifyAgainstDummy(dto.password);
      throw AuthErrors.locked();
    }
    // Unknown logins and accounts whose budget is spent spend the same time on a dummy check.
    const checked = !!user && attempt === 'check';
    const check = checked ? await this.hasher.check(user.password, dto.password) : { ok: await this.hasher.verifyAgainstDummy(dto.password) };
    if (!user || !check.ok) {
      await inTransaction(this.orm, async (em) => {
        const lockedUntil = await this.accounts.settleLoginFailure(em, key, checked ? user!.id : null, threshold, lockSeconds);
        // The lock and its event commit together, or neither does.
        if (lockedUntil) await this.outbox.append(em, UserEvents.locked(user!.id, lockedUntil));
      });
      throw AuthErrors.invalidCredentials();
    }
    const loggingIn = user.isActive && user.isVerified;
    // An old-form hash (the typed text before NFKC, older argon2 parameters) is replaced by the current
    // form while the password is at hand; hashed before the transaction, so no connection waits on argon2.
    const rehashed = 'stale' in check && check.stale ? await this.hasher.hash(dto.password) : null;
    await inTransaction(this.orm, async (em) => {
      // A lock set meanwhile by failures that raced this (reserved, right) check is lifted by it.
      const wasLocked = await this.accounts.settleLoginSuccess(em, key, user.id, loggingIn ? { ip: meta.ip ?? null } : null);
      if (wasLocked) await this.outbox.append(em, UserEvents.unlocked(user.id, user.id));
      if (rehashed) await this.users.upgradePasswordHash(em, user.id, user.password, rehashed);
    });
    if (!user.isActive) throw AuthErrors.inactive();
    if (!user.isVerified) throw AuthErrors.emailNotVerified();
    return inTransaction(this.orm, (em) => this.startSession(em, user, meta, null));
  }

  private async startSession(em: EntityManager, user: User, meta: RequestMeta, parent: RefreshToken | null): Promise<Session> {
    const secret = newSecret();
    const ttlMs = this.config.REFRESH_TOKEN_TTL_DAYS * 24 * 3600 * 1000;
    const rt = new RefreshToken();
    rt.id = randomUUID();
    rt.userId = user.id;
    rt.familyId = parent?.familyId ?? randomUUID();
    rt.parentId = parent?.id ?? null;
    rt.tokenHash = hashToken(secret);
    rt.expiresAt = new Date(Date.now() + ttlMs);
    rt.ip = meta.ip ?? null;
    rt.userAgent = meta.userAgent?.slice(0, 300) ?? null;
    await this.accounts.insertRefreshToken(em, rt);
    const access = await this.keys.signAccessToken(user);
    return {
      accessToken: access.token, tokenType: 'Bearer', expiresIn: access.expiresIn,
      refreshToken: secret, refreshExpiresIn: Math.floor(ttlMs / 1000), user: toUserView(user),
    };
  }

  /**
   * Rotates a refresh token: the old one is spent, a new one of the same family is issued.
   * Presenting a spent token again means it was stolen or replayed: the whole family is revoked,
   * except for a retry after a lost response: the immediately previous token (the one whose
   * child is still unused), within REFRESH_REUSE_GRACE_SECONDS of its use, gets a fresh pair of
   * the same family (a sibling of the lost one; the first of them to be used spends the others).
   * A lockout does not end sessions: it stops password guessing, and anyone may cause one.
   */
  async refresh(dto: RefreshDto, meta: RequestMeta = {}): Promise<Session> {
    const outcome = await inTransaction(this.orm, async (em) => {
      const rt = await this.accounts.findRefreshForUpdate(em, hashToken(dto.refreshToken));
      if (!rt || rt.revokedAt || rt.expiresAt.getTime() <= Date.now()) return { error: AuthErrors.refreshInvalid() };
      if (rt.usedAt && !(await this.isRetryWithinGrace(em, rt))) {
        await this.accounts.revokeFamily(em, rt.familyId, 'reuse_detected');
        return { error: AuthErrors.refreshReused() };
      }
      const user = await this.users.findById(em, rt.userId);
      if (!user || !user.isActive || !user.isVerified) {
        await this.accounts.revokeFamily(em, rt.familyId, 'deactivated');
        return { error: AuthErrors.refreshInvalid() };
      }
      if (!rt.usedAt) {
        rt.usedAt = new Date();
        await this.users.flush(em);
        await this.accounts.spendSiblings(em, rt);
      }
      return { session: await this.startSession(em, user, meta, rt) };
    });
    // The revocation above must commit, so the error is thrown only after the transaction.
    if ('error' in outcome) throw outcome.error;
    return outcome.session;
  }

  /** A spent token shown again soon after its use, while the family has not moved on since: a retry, not a replay. */
  private async isRetryWithinGrace(em: EntityManager, rt: RefreshToken): Promise<boolean> {
    const graceMs = this.config.REFRESH_REUSE_GRACE_SECONDS * 1000;
    if (graceMs <= 0 || !rt.usedAt || Date.now() - rt.usedAt.getTime() > graceMs) return false;
    return this.accounts.isLatestParent(em, rt.id);
  }

  /** Ends the session the refresh token belongs to. Unknown tokens are ignored (same answer). */
  async logout(dto: RefreshDto): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const rt = await this.accounts.findRefreshForUpdate(em, hashToken(dto.refreshToken));
      if (rt) await this.accounts.revokeFamily(em, rt.familyId, 'logout');
    });
  }

  // ---- passwords ---------------------------------------------------------------------

  /** Always the same answer; mails a reset link when an active account has this address. */
  async forgotPassword(dto: EmailDto): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const user = await this.users.findByEmail(em, dto.email);
      if (!user || !user.isActive) return;
      const token = newSecret();
      const reset = new PasswordReset();
      reset.id = randomUUID();
      reset.userId = user.id;
      reset.tokenHash = hashToken(token);
      reset.expiresAt = new Date(Date.now() + this.config.PASSWORD_RESET_TTL_MINUTES * 60 * 1000);
      await this.accounts.replacePasswordReset(em, reset);
      await this.outbox.append(em, PasswordResetEvents.requested(user, reset, token));
    });
  }

  /** Sets a new password from a reset link; ends every session and lifts a lockout. */
  async resetPassword(dto: ResetPasswordDto): Promise<void> {
    const reset = await inTransaction(this.orm, async (em) => {
      const r = await this.accounts.findResetForUpdate(em, hashToken(dto.token));
      if (!r || r.usedAt) throw AuthErrors.resetInvalid();
      if (r.expiresAt.getTime() <= Date.now()) throw AuthErrors.resetExpired();
      return r;
    });
    const user = await this.users.findById(freshEm(this.orm), reset.userId);
    if (!user || !user.isActive) throw AuthErrors.resetInvalid();
    this.policy.assertAcceptable(dto.newPassword, user);
    const hash = await this.hasher.hash(dto.newPassword);
    await inTransaction(this.orm, async (em) => {
      const r = await this.accounts.findResetForUpdate(em, hashToken(dto.token));
      if (!r || r.usedAt) throw AuthErrors.resetInvalid(); // used meanwhile
      r.usedAt = new Date();
      await this.accounts.invalidateResets(em, user.id);
      await this.setPassword(em, user, hash, 'password_reset');
    });
  }

  async changePassword(userId: string, dto: ChangePasswordDto): Promise<void> {
    const user = await this.users.findByIdWithPassword(freshEm(this.orm), userId);
    if (!user || !user.isActive) throw AuthErrors.userNotFound();
    if (!(await this.hasher.verify(user.password, dto.currentPassword))) throw AuthErrors.currentPasswordWrong();
    this.policy.assertAcceptable(dto.newPassword, user);
    const hash = await this.hasher.hash(dto.newPassword);
    await inTransaction(this.orm, (em) => this.setPassword(em, user, hash, 'password_changed'));
  }

  /**
   * Stores a new password: ends every session and, as the owner has proved themselves (the current
   * password, or the reset link), clears the lockout of the account and of both its logins
   * (`login_throttles` of its username and email), in the same transaction; a lock that was in force
   * is lifted with `user.unlocked`, as an admin's unlock is.
   */
  private async setPassword(em: EntityManager, user: Pick<User, 'id' | 'username' | 'email'>, hash: string, reason: 'password_reset' | 'password_changed'): Promise<void> {
    const { wasLocked } = await this.users.updatePassword(em, user.id, hash);
    await this.accounts.clearLoginThrottles(em, accountLoginKeys(user));
    await this.accounts.revokeAllForUser(em, user.id, reason);
    await this.outbox.append(em, UserEvents.passwordChanged(user.id, reason === 'password_changed' ? user.id : null));
    if (wasLocked) await this.outbox.append(em, UserEvents.unlocked(user.id, reason === 'password_changed' ? user.id : null));
  }

  async me(userId: string): Promise<UserView> {
    const user = await this.users.findById(freshEm(this.orm), userId);
    if (!user || !user.isActive) throw AuthErrors.userNotFound();
    return toUserView(user);
  }
}
