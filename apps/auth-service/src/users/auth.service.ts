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
import { EmailVerification, User } from './user.entity';
import { UserEvents } from './user.events';
import { UserRepository } from './user.repository';

/** One representation of the user's own account, shared with PATCH /users/me. */
export type UserView = OwnUserView;
export const toUserView = toOwnUserView;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
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

  /** Creates the user, its verification token and both events in one transaction. */
  async register(dto: RegisterDto): Promise<UserView> {
    this.policy.assertAcceptable(dto.password, dto);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await inTransaction(this.orm, async (em) => {
        const taken = await this.users.existsByEmailOrUsername(em, dto.email, dto.username);
        if (taken.email) throw AuthErrors.emailTaken();
        if (taken.username) throw AuthErrors.usernameTaken();
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
        await this.issueVerification(em, user);
        return toUserView(user);
      });
    } catch (err) {
      // Two registrations racing for one email or username: the unique index decides.
      if (err instanceof UniqueConstraintViolationException) {
        throw /username/.test(err.message) ? AuthErrors.usernameTaken() : AuthErrors.emailTaken();
      }
      throw err;
    }
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
   * Login by email or username. After LOCKOUT_THRESHOLD failures in a row the login is locked
   * for LOCKOUT_DURATION_SECONDS, with the same answer whether or not an account exists.
   */
  async login(dto: LoginDto, meta: RequestMeta = {}): Promise<Session> {
    const { LOCKOUT_THRESHOLD: threshold, LOCKOUT_DURATION_SECONDS: lockSeconds } = this.config;
    const user = await this.users.findForLogin(freshEm(this.orm), dto.login);
    if (!user) {
      const loginHash = hashToken(dto.login.trim().toLowerCase());
      if (await this.accounts.unknownLoginLocked(freshEm(this.orm), loginHash)) {
        await this.hasher.verifyAgainstDummy(dto.password);
        throw AuthErrors.locked();
      }
      await this.hasher.verifyAgainstDummy(dto.password);
      await this.accounts.recordUnknownFailure(freshEm(this.orm), loginHash, threshold, lockSeconds);
      throw AuthErrors.invalidCredentials();
    }
    if (user.accountLockedUntil && user.accountLockedUntil.getTime() > Date.now()) {
      await this.hasher.verifyAgainstDummy(dto.password);
      throw AuthErrors.locked();
    }
    if (!(await this.hasher.verify(user.password, dto.password))) {
      const outcome = await this.accounts.recordUserFailure(freshEm(this.orm), user.id, threshold, lockSeconds);
      if (outcome.justLocked) {
        await inTransaction(this.orm, (em) => this.outbox.append(em, UserEvents.locked(user.id, outcome.lockedUntil)));
      }
      throw AuthErrors.invalidCredentials();
    }
    if (!user.isActive) throw AuthErrors.inactive();
    if (!user.isVerified) throw AuthErrors.emailNotVerified();
    await this.accounts.recordSuccess(freshEm(this.orm), user.id, meta.ip ?? null);
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
   * Presenting a spent token again means it was stolen or replayed: the whole family is revoked.
   */
  async refresh(dto: RefreshDto, meta: RequestMeta = {}): Promise<Session> {
    const outcome = await inTransaction(this.orm, async (em) => {
      const rt = await this.accounts.findRefreshForUpdate(em, hashToken(dto.refreshToken));
      if (!rt || rt.revokedAt || rt.expiresAt.getTime() <= Date.now()) return { error: AuthErrors.refreshInvalid() };
      if (rt.usedAt) {
        await this.accounts.revokeFamily(em, rt.familyId, 'reuse_detected');
        return { error: AuthErrors.refreshReused() };
      }
      const user = await this.users.findById(em, rt.userId);
      if (!user || !user.isActive || !user.isVerified || (user.accountLockedUntil && user.accountLockedUntil.getTime() > Date.now())) {
        await this.accounts.revokeFamily(em, rt.familyId, 'deactivated');
        return { error: AuthErrors.refreshInvalid() };
      }
      rt.usedAt = new Date();
      await this.users.flush(em);
      return { session: await this.startSession(em, user, meta, rt) };
    });
    // The revocation above must commit, so the error is thrown only after the transaction.
    if ('error' in outcome) throw outcome.error;
    return outcome.session;
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
      await this.setPassword(em, user.id, hash, 'password_reset');
    });
  }

  async changePassword(userId: string, dto: ChangePasswordDto): Promise<void> {
    const user = await this.users.findByIdWithPassword(freshEm(this.orm), userId);
    if (!user || !user.isActive) throw AuthErrors.userNotFound();
    if (!(await this.hasher.verify(user.password, dto.currentPassword))) throw AuthErrors.currentPasswordWrong();
    this.policy.assertAcceptable(dto.newPassword, user);
    const hash = await this.hasher.hash(dto.newPassword);
    await inTransaction(this.orm, (em) => this.setPassword(em, user.id, hash, 'password_changed'));
  }

  private async setPassword(em: EntityManager, userId: string, hash: string, reason: 'password_reset' | 'password_changed'): Promise<void> {
    await this.users.updatePassword(em, userId, hash);
    await this.accounts.revokeAllForUser(em, userId, reason);
    await this.outbox.append(em, UserEvents.passwordChanged(userId, reason === 'password_changed' ? userId : null));
  }

  async me(userId: string): Promise<UserView> {
    const user = await this.users.findById(freshEm(this.orm), userId);
    if (!user || !user.isActive) throw AuthErrors.userNotFound();
    return toUserView(user);
  }
}
