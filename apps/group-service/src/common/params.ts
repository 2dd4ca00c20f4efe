import { Injectable, PipeTransform } from '@nestjs/common';
import { GroupErrors } from '../groups/group.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id: a UUID, lower-cased; anything else is a 400 problem with code INVALID_ID. */
@Injectable()
export class UuidParamPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw GroupErrors.invalidId();
    return value.toLowerCase();
  }
}

/** Text is trimmed; a blank string then fails IsNotBlank: `null` clears a nullable field, nothing else. */
export const trimText = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Present and not undefined: null is then validated too, so a non-nullable field refuses null. */
export const present = (_o: object, v: unknown) => v !== undefined;
