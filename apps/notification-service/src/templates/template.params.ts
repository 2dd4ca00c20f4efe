import { Injectable, PipeTransform } from '@nestjs/common';
import { TemplateErrors } from './template.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A template id in the path: a UUID, lower-cased; anything else is a 400 INVALID_ID. */
@Injectable()
export class TemplateIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw TemplateErrors.invalidId();
    return value.toLowerCase();
  }
}
