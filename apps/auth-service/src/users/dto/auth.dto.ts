import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @Transform(trim) @IsString() @Length(3, 150)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'username may contain only letters, digits, dots, dashes and underscores' })
  username!: string;

  @Transform(trim) @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(254)
  email!: string;

  /** 8 to 128 characters (OWASP ASVS 2.1). */
  @IsString() @Length(8, 128, { message: 'password must be 8 to 128 characters long' })
  password!: string;

  @IsOptional() @Transform(trim) @IsString() @MaxLength(150)
  firstName?: string;

  @IsOptional() @Transform(trim) @IsString() @MaxLength(150)
  lastName?: string;
}

export class VerifyEmailDto {
  @IsString() @Length(20, 100) @Matches(/^[A-Za-z0-9_-]+$/, { message: 'token is malformed' })
  token!: string;
}

export class LoginDto {
  /** Email or username. */
  @Transform(trim) @IsString() @Length(1, 254)
  login!: string;

  @IsString() @Length(1, 128)
  password!: string;
}
