import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** Templates' errors, one stable code each (problem+json `code`). */
export enum TemplateExceptionCode {
  AdminRequired = 'ADMIN_REQUIRED',
  NotFound = 'TEMPLATE_NOT_FOUND',
  InvalidId = 'INVALID_ID',
  /** The body or subject does not compile (the engine's message says why). */
  Invalid = 'TEMPLATE_INVALID',
  /** A template for that type, channel and language exists already: edit it instead. */
  Exists = 'TEMPLATE_EXISTS',
  SubjectRequired = 'TEMPLATE_SUBJECT_REQUIRED',
  TypeNotTemplated = 'NOTIFICATION_TYPE_NOT_TEMPLATED',
}

export class TemplateException extends DomainException {
  constructor(code: TemplateExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

export const TemplateErrors = {
  adminRequired: () => new TemplateException(TemplateExceptionCode.AdminRequired, 'Only platform admins can read or change notification templates.', HttpStatus.FORBIDDEN),
  notFound: () => new TemplateException(TemplateExceptionCode.NotFound, 'Template not found.', HttpStatus.NOT_FOUND),
  invalidId: () =>
    new TemplateException(TemplateExceptionCode.InvalidId, 'id must be a UUID.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'id', message: 'must be a UUID' }] }),
  invalid: (field: 'body' | 'subject', message: string) =>
    new TemplateException(TemplateExceptionCode.Invalid, `The ${field} is not a valid template: ${message}`, HttpStatus.BAD_REQUEST, { errors: [{ field, message }] }),
  exists: (type: string, channel: string, language: string) =>
    new TemplateException(TemplateExceptionCode.Exists, `There is already a ${channel} template for ${type} in ${language}; edit that one.`, HttpStatus.CONFLICT),
  subjectRequired: () =>
    new TemplateException(TemplateExceptionCode.SubjectRequired, 'An email template needs a subject.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'subject', message: 'required for email' }] }),
  typeNotTemplated: (type: string) =>
    new TemplateException(TemplateExceptionCode.TypeNotTemplated, `"${type}" is an account email, rendered by the service itself: it has no templates.`, HttpStatus.BAD_REQUEST, {
      errors: [{ field: 'type', message: 'account emails have no templates' }],
    }),
};
