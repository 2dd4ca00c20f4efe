import { Injectable, PipeTransform } from '@nestjs/common';
import { PeopleErrors } from './people.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id: a UUID (any version), lower-cased; anything else is a 400 problem with code INVALID_ID. */
@Injectable()
export class UuidParamPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw PeopleErrors.invalidId();
    return value.toLowerCase();
  }
}
