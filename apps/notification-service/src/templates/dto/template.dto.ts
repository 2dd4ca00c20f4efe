import { IsBoolean, IsDefined, IsIn, IsObject, IsOptional, IsString, Matches, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';
import { CharLength, CursorQueryDto } from '@tally/service-kit';
import { NOTIFICATION_TYPES } from '../../notifications/notification-types';
import { TEMPLATE_CHANNELS } from '../template-engine';

const LANGUAGE = /^[a-z]{2,3}(-[A-Z]{2})?$/;
const LANGUAGE_MESSAGE = 'language must be a language code like en, pt or pt-BR';
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,49}$/;

/** `variables`: at most 50 entries, each a variable name → a description (text, at most 500 characters). */
function IsVariableDocs(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isVariableDocs',
      validator: {
        validate: (v: unknown) =>
          !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length <= 50 &&
          Object.entries(v as Record<string, unknown>).every(([k, d]) => VARIABLE_NAME.test(k) && typeof d === 'string' && d.length <= 500),
        defaultMessage: () => 'variables must be an object of at most 50 variable names (letters, digits, _ and .) each with a description of at most 500 characters',
      },
    },
    options,
  );
}

/** `?type=&channel=&language=` plus `?limit=&cursor=`. */
export class ListTemplatesQueryDto extends CursorQueryDto {
  @IsOptional() @IsIn(Object.keys(NOTIFICATION_TYPES), { message: 'type must be a notification type' })
  type?: string;

  @IsOptional() @IsIn(TEMPLATE_CHANNELS, { message: `channel must be one of ${TEMPLATE_CHANNELS.join(', ')}` })
  channel?: string;

  @IsOptional() @Matches(LANGUAGE, { message: LANGUAGE_MESSAGE })
  language?: string;
}

/** `PATCH /api/v1/notification-templates/:id`: only the fields given change. `subject: null` only for push and SMS. */
export class UpdateTemplateDto {
  @ValidateIf((_, v) => v !== undefined && v !== null) @IsString({ message: 'subject must be text or null' }) @CharLength(1, 200, { message: 'subject must be 1 to 200 characters' })
  subject?: string | null;

  @IsOptional() @IsString({ message: 'body must be text' }) @CharLength(1, 20000, { message: 'body must be 1 to 20000 characters' })
  body?: string;

  @IsOptional() @IsObject({ message: 'variables must be an object' }) @IsVariableDocs()
  variables?: Record<string, string>;

  @IsOptional() @IsBoolean({ message: 'isActive must be true or false' })
  isActive?: boolean;
}

/** `POST /api/v1/notification-templates`: a new language variant (or a template for a type and channel that has none). */
export class CreateTemplateDto {
  @IsDefined() @IsIn(Object.keys(NOTIFICATION_TYPES), { message: 'type must be a notification type' })
  type!: string;

  @IsDefined() @IsIn(TEMPLATE_CHANNELS, { message: `channel must be one of ${TEMPLATE_CHANNELS.join(', ')}` })
  channel!: string;

  @IsDefined() @IsString() @Matches(LANGUAGE, { message: LANGUAGE_MESSAGE })
  language!: string;

  @IsOptional() @IsString({ message: 'subject must be text' }) @CharLength(1, 200, { message: 'subject must be 1 to 200 characters' })
  subject?: string;

  @IsDefined() @IsString({ message: 'body must be text' }) @CharLength(1, 20000, { message: 'body must be 1 to 20000 characters' })
  body!: string;

  @IsOptional() @IsObject({ message: 'variables must be an object' }) @IsVariableDocs()
  variables?: Record<string, string>;

  @IsOptional() @IsBoolean({ message: 'isActive must be true or false' })
  isActive?: boolean;
}

/** `POST /api/v1/notification-templates/:id/preview`: sample values (missing ones get examples). */
export class PreviewTemplateDto {
  @IsOptional() @IsObject({ message: 'variables must be an object' })
  variables?: Record<string, unknown>;
}

