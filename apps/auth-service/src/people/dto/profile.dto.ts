import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUrl, Matches, ValidateIf } from 'class-validator';
import { CharLength, IsNotBlank, MaxChars } from '@tally/service-kit';
import {
  IsBoundedJsonObject, IsCurrencyCode, IsPastDate, IsSocialLinks, IsTimeZone, NOTIFICATION_PREFERENCES_BOUNDS, compactPhone, trimText,
} from '../validators';
import { PROFILE_VISIBILITIES, ProfileVisibility } from '../visibility';

/** Present and not undefined: null is then validated too, so a non-nullable field refuses null. */
const present = (_o: object, v: unknown) => v !== undefined;

/**
 * PATCH /api/v1/users/me: the user-level fields of the seed's auth_user a user may change themselves.
 * Absent fields stay as they are; `null` clears a nullable field (the document types them
 * `[string, null]`); an empty or blank string is refused (400), never read as "clear it".
 * Username, email, password, role and the account flags are not here: unknown fields are refused.
 */
export class UpdateMeDto {
  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(150)
  firstName?: string | null;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(150)
  lastName?: string | null;

  /** E.164: `+`, country code, subscriber number; spaces, dots, dashes and brackets are dropped. At most 16 characters stored. */
  @IsOptional() @Transform(compactPhone) @IsString()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'phoneNumber must be an international number like +4930123456 (E.164)' })
  phoneNumber?: string | null;

  /** A relative image path as stored by the upload service, e.g. `avatars/3f2c.jpg`. */
  @IsOptional() @Transform(trimText) @IsString() @MaxChars(100)
  @Matches(/^(?!.*\.\.)(?!\/)[A-Za-z0-9_\-./]+\.(jpe?g|png|gif|webp)$/i, { message: 'avatar must be a relative image path such as avatars/me.png' })
  avatar?: string | null;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(1000)
  bio?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'A past date (YYYY-MM-DD); null clears it' })
  @IsOptional() @IsPastDate()
  dateOfBirth?: string | null;

  @ValidateIf(present) @IsCurrencyCode()
  preferredCurrency?: string;

  @ValidateIf(present) @IsString() @IsTimeZone()
  timezone?: string;

  @ValidateIf(present) @IsIn(PROFILE_VISIBILITIES, { message: 'profileVisibility must be one of public, friends, private' })
  profileVisibility?: ProfileVisibility;

  /** Replaced as a whole (no merge). A JSON object of at most 4 KiB and 3 levels. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaced as a whole; at most 4 KiB and 3 levels deep' })
  @ValidateIf(present) @IsBoundedJsonObject(NOTIFICATION_PREFERENCES_BOUNDS)
  userNotificationPreferences?: Record<string, unknown>;
}

/** PATCH /api/v1/users/me/profile. Absent fields stay; `null` clears one; an empty or blank string is refused (400). */
export class UpdateProfileDto {
  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(100)
  occupation?: string | null;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(100)
  company?: string | null;

  @IsOptional() @Transform(trimText) @IsString() @MaxChars(200)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: true, allow_underscores: false }, { message: 'website must be an http(s) URL' })
  website?: string | null;

  /** An ISO 3166-1 alpha-2 code (any case) or a country's exact name (any case); stored as the code. */
  @IsOptional() @Transform(trimText) @IsString() @CharLength(2, 100)
  country?: string | null;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(50)
  city?: string | null;

  /** Replaced as a whole: `{ "github": "https://github.com/me" }`; known networks only, https links on the network's host. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', format: 'uri' }, example: { github: 'https://github.com/me' } })
  @ValidateIf(present) @IsSocialLinks()
  socialLinks?: Record<string, string>;
}

