import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { CharLength, IsEmailAddress, IsNotBlank, MaxChars, asciiEmailDomain } from '@tally/service-kit';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
/** `ann@bücher.de` is read as `ann@xn--bcher-kva.de`: one mailbox, one form, the one the event schemas take. */
const email = ({ value }: { value: unknown }) => (typeof value === 'string' ? asciiEmailDomain(value.trim()) : value);
/** A username as is; an email address with its domain in ASCII form, as it was registered. */
const login = ({ value }: { value: unknown }) => (typeof value === 'string' ? (value.includes('@') ? asciiEmailDomain(value.trim()) : value.trim()) : value);
const EMAIL_MESSAGE = { message: 'email must be a valid email address (an ASCII local part; an internationalized domain is accepted)' };

export function isIanaTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
const TIME_ZONES = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];

const PASSWORD_LENGTH = { message: 'password must be 8 to 128 characters long' };
const TOKEN = /^[A-Za-z0-9_-]+$/;

export class RegisterDto {
  @Transform(trim) @IsString() @Length(3, 150)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'username may contain only letters, digits, dots, dashes and underscores' })
  username!: string;

  @Transform(email) @IsEmailAddress(EMAIL_MESSAGE) @MaxChars(254)
  email!: string;

  /**
   * 8 to 128 characters (OWASP ASVS 2.1), well-formed Unicode (no NUL, no unpaired surrogate);
   * compared and stored in its NFKC form (NIST SP 800-63B 5.1.1.2); common passwords are refused.
   */
  @IsString() @CharLength(8, 128, PASSWORD_LENGTH)
  password!: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(150)
  firstName?: string | null;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(150)
  lastName?: string | null;

  /** E.164: +, country code and number, at most 17 characters as in the seed. */
  @IsOptional() @Transform(trim) @IsString() @Matches(/^\+[1-9]\d{6,15}$/, { message: 'phoneNumber must be in international format, e.g. +14155550123' })
  phoneNumber?: string | null;

  @IsOptional() @Transform(trim) @IsString() @MaxChars(50)
  @IsIn(TIME_ZONES.length ? TIME_ZONES : ['UTC'], { message: 'timezone must be an IANA time zone such as Europe/Paris' })
  timezone?: string | null;

  @IsOptional() @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'preferredCurrency must be a 3-letter ISO 4217 code' })
  preferredCurrency?: string | null;
}

export class VerifyEmailDto {
  @IsString() @Length(20, 100) @Matches(TOKEN, { message: 'token is malformed' })
  token!: string;
}

export class EmailDto {
  @Transform(email) @IsEmailAddress(EMAIL_MESSAGE) @MaxChars(254)
  email!: string;
}

export class LoginDto {
  /** Email or username. */
  @Transform(login) @IsString() @CharLength(1, 254)
  login!: string;

  @IsString() @CharLength(1, 128)
  password!: string;
}

export class RefreshDto {
  @IsString() @Length(20, 200) @Matches(TOKEN, { message: 'refreshToken is malformed' })
  refreshToken!: string;
}

export class ResetPasswordDto {
  @IsString() @Length(20, 100) @Matches(TOKEN, { message: 'token is malformed' })
  token!: string;

  @IsString() @CharLength(8, 128, { message: 'newPassword must be 8 to 128 characters long' })
  newPassword!: string;
}

export class ChangePasswordDto {
  @IsString() @CharLength(1, 128)
  currentPassword!: string;

  @IsString() @CharLength(8, 128, { message: 'newPassword must be 8 to 128 characters long' })
  newPassword!: string;
}
