import { Injectable, PipeTransform } from '@nestjs/common';
import { PaymentMethodErrors } from './payment-method.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A payment method id in the path: a UUID, lower-cased; anything else is a 400 INVALID_ID. */
@Injectable()
export class PaymentMethodIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw PaymentMethodErrors.invalidId();
    return value.toLowerCase();
  }
}
