import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsNotBlank, MaxChars } from '@tally/service-kit';
import { CONFIG_DATA_TYPES, CONFIG_KEY_PATTERN, CONFIG_VALUE_MAX_LENGTH, ConfigDataType } from '../config-values';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ConfigKeyParams {
  @IsString() @Matches(CONFIG_KEY_PATTERN, { message: 'key must be 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  key!: string;
}

/**
 * Creates or replaces a configuration's value. The value is always a string (the column is TEXT;
 * `dataType` says how to read it: decimals as "12.50", never as JSON numbers) and must read as its type.
 * Omitted `description` and `isSensitive` keep what an existing configuration has (new ones: none, false),
 * so updating a secret's value without repeating the flag never exposes it.
 */
export class PutConfigurationDto {
  @IsString({ message: 'value must be a string (decimals, integers, booleans and JSON too)' }) @MaxLength(CONFIG_VALUE_MAX_LENGTH)
  value!: string;

  @IsIn(CONFIG_DATA_TYPES, { message: `dataType must be one of: ${CONFIG_DATA_TYPES.join(', ')}` })
  dataType!: ConfigDataType;

  /** null clears it; an empty or blank string is refused. */
  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(2000)
  description?: string | null;

  @IsOptional() @IsBoolean()
  isSensitive?: boolean;
}
