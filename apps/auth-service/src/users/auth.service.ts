import { Inject, Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OutboxWriter } from '@tally/messaging';
import { CONFIG } from '@tally/service-kit';
import { AuthServiceConfig } from '../config/auth.config';
import { SigningKeyService } from '../keys/signing-key.service';
import { AuthErrors } from './auth.exceptions';
import { LoginDto, RegisterDto, VerifyEmailDto } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { EmailVerification, User } from './user.entity';
import { UserRepository } from './user.repository';

export interface UserView {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: string;
  isVerified: boolean;
  preferredCurrency: string;
  timezone: string;
  dateJoined: string;
}

export function toUserView(u: User): UserView {
  return {
    id: u.id, username: u.username, email: u.email, firstName: u.firstName ?? null, lastName: u.lastName ?? null,
    role: u.role, isVerified: u.isVerified, preferredCurrency: u.preferredCurrency, timezone: u.timezone,
    dateJoined: u.dateJoined.toISOString(),
  };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly keys: SigningKeyService,
    private readonly outbox: OutboxWriter,
    @Inject(CONFIG) private readonly config: AuthServiceConfig,
  ) {}

  /** Creates the user, its verification token and both events in one transaction. */
  async register(dto: RegisterDto): Promise<UserView> {
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.users.transaction(async (em) => {
        const taken = await this.users.existsByEmailOrUsername(dto.email, dto.username, em);
        if (taken.email) throw AuthErrors.emailTaken();
        if (taken.username) throw AuthErrors.usernameTaken();
        const user = new User();
        user.id = randomUUID();
        user.username = dto.username;
        user.email = dto.email;
        user.password = passwordHash;
        user.firstName = dto.firstName ?? null;
        user.lastName = dto.lastName ?? null;
        const token = randomBytes(32).toString('base64url');
        const verification = new EmailVerification();
        verification.id = randomUUID();
        verification.userId = user.id;
        verification.token = hashToken(token);
        verification.email = user.email;
        verification.expiresAt = new Date(Date.now() + this.config.EMAIL_VERIFICATION_TTL_HOURS * 3600 * 1000);
        // No ORM relation between the two, so order the inserts for the foreign key ourselves.
        await em.persist(user).flush();
        await em.persist(verification).flush();
        await this.outbox.append(em, {
          type: 'user.registered',
          subject: user.id,
          data: {
            userId: user.id, username: user.username, email: user.email, firstName: user.firstName ?? null,
            lastName: user.lastName ?? null, preferredCurrency: user.preferredCurrency, timezone: user.timezone,
            dateJoined: user.dateJoined.toISOString(),
          },
        });
        await this.outbox.append(em, {
          type: 'email_verification.requested',
          subject: user.id,
          data: { userId: user.id, email: user.email, token, expiresAt: verification.expiresAt.toISOString(), firstName: user.firstName ?? null },
        });
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

  async verifyEmail(dto: VerifyEmailDto): Promise<UserView> {
    return this.users.transaction(async (em) => {
      const v = await this.users.findVerificationForUpdate(hashToken(dto.token), em);
      if (!v || v.isUsed) throw AuthErrors.tokenInvalid();
      if (v.expiresAt.getTime() < Date.now()) throw AuthErrors.tokenExpired();
      const user = await this.users.findById(v.userId, em);
      if (!user) throw AuthErrors.tokenInvalid();
      v.isUsed = true;
      user.isVerified = true;
      await em.flush();
      await this.outbox.append(em, {
        type: 'user.email_verified',
        subject: user.id,
        data: { userId: user.id, email: v.email, verifiedAt: new Date().toISOString() },
      });
      return toUserView(user);
    });
  }

  async login(dto: LoginDto, ip?: string): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number; user: UserView }> {
    const user = await this.users.findForLogin(dto.login);
    if (!user) throw (await this.hasher.verifyAgainstDummy(dto.password), AuthErrors.invalidCredentials());
    if (!(await this.hasher.verify(user.password, dto.password))) throw AuthErrors.invalidCredentials();
    if (!user.isActive) throw AuthErrors.inactive();
    if (!user.isVerified) throw AuthErrors.emailNotVerified();
    await this.users.transaction(async (em) => {
      const u = await this.users.findById(user.id, em);
      if (!u) return;
      u.lastLogin = new Date();
      u.lastLoginIp = ip ?? null;
      u.failedLoginAttempts = 0;
    });
    const { token, expiresIn } = await this.keys.signAccessToken(user);
    return { accessToken: token, tokenType: 'Bearer', expiresIn, user: toUserView(user) };
  }

  async me(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user || !user.isActive) throw AuthErrors.userNotFound();
    return toUserView(user);
  }
}
