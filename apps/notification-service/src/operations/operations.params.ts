import { Injectable, PipeTransform } from '@nestjs/common';
import { OperationsErrors } from './operations.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A delivery or notification id in the path: a UUID, lower-cased; anything else is a 400 INVALID_ID. */
@Injectable()
export class DeliveryIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw OperationsErrors.invalidId();
    return value.toLowerCase();
  }
}
