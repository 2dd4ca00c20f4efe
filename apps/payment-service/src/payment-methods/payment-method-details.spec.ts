import { DomainException } from '@tally/service-kit';
import { isIban, readPaymentDetails } from './payment-method-details';

const NOW = new Date('2026-12-05T12:00:00Z');

function refusal(fn: () => unknown): { code: string; status: number; fields: string[] } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DomainException)) throw e;
    return { code: e.code, status: e.status, fields: ((e.extra.errors ?? []) as { field: string }[]).map((x) => x.field) };
  }
  throw new Error('expected a refusal');
}

describe('readPaymentDetails', () => {
  it('accepts a bank account by IBAN (checksum verified, compacted, upper case) with its optional fields', () => {
    expect(readPaymentDetails('bank', { iban: 'de89 3704 0044 0532 0130 00', bank_name: ' First Bank ', account_holder_name: 'Alice' }, NOW))
      .toEqual({ iban: 'DE89370400440532013000', bank_name: 'First Bank', account_holder_name: 'Alice' });
    expect(readPaymentDetails('bank', { account_number: '0123456789012', routing_number: '021000021' }, NOW)).toEqual({ account_number: '0123456789012', routing_number: '021000021' });
  });

  it('refuses a bank account without an IBAN or account number, a wrong IBAN checksum, and unknown fields', () => {
    expect(refusal(() => readPaymentDetails('bank', { bank_name: 'First Bank' }, NOW))).toEqual({ code: 'INVALID_PAYMENT_DETAILS', status: 400, fields: ['details'] });
    expect(refusal(() => readPaymentDetails('bank', { iban: 'DE88370400440532013000' }, NOW)).fields).toEqual(['details.iban']);
    expect(refusal(() => readPaymentDetails('bank', { iban: 'DE89370400440532013000', password: 'hunter2' }, NOW)).fields).toEqual(['details.password']);
  });

  it('accepts a card as brand, last four and expiry, and refuses it expired or incomplete', () => {
    expect(readPaymentDetails('card', { brand: 'VISA', last4: '4242', exp_month: 12, exp_year: 2029 }, NOW)).toEqual({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2029 });
    expect(refusal(() => readPaymentDetails('card', { brand: 'visa', last4: '4242', exp_month: 11, exp_year: 2026 }, NOW)).fields).toEqual(['details.exp_year']);
    expect(refusal(() => readPaymentDetails('card', { brand: 'visa', exp_month: '12', exp_year: 2029 }, NOW)).fields.sort()).toEqual(['details.exp_month', 'details.last4']);
  });

  it('never accepts a full card number: 13 to 19 digits anywhere on a card, or a field named like one on any type', () => {
    for (const details of [
      { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2029, holder_name: '4242 4242 4242 4242' },
      { brand: 'visa', last4: '4242424242424242', exp_month: 12, exp_year: 2029 },
      { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2029, card_number: '4242' },
      { brand: 'amex', last4: '0005', exp_month: 1, exp_year: 2030, note: 378282246310005 },
    ]) {
      expect(refusal(() => readPaymentDetails('card', details, NOW))).toMatchObject({ code: 'CARD_NUMBER_REFUSED', status: 400 });
    }
    expect(refusal(() => readPaymentDetails('paypal', { email: 'a@example.com', pan: '4000056655665556' }, NOW)).code).toBe('CARD_NUMBER_REFUSED');
    expect(refusal(() => readPaymentDetails('other', { cvv: '123' }, NOW)).code).toBe('CARD_NUMBER_REFUSED');
  });

  it('needs an email or a handle for PayPal and Venmo', () => {
    expect(readPaymentDetails('paypal', { email: 'alice@example.com' }, NOW)).toEqual({ email: 'alice@example.com' });
    expect(readPaymentDetails('venmo', { handle: '@alice-b' }, NOW)).toEqual({ handle: '@alice-b' });
    expect(refusal(() => readPaymentDetails('venmo', {}, NOW)).fields).toEqual(['details']);
    expect(refusal(() => readPaymentDetails('paypal', { email: 'not-an-email' }, NOW)).fields).toEqual(['details.email']);
  });

  it('takes a Stripe PaymentMethod and Customer reference (what Stripe.js gave the client), and nothing else shaped like one', () => {
    expect(readPaymentDetails('stripe', { payment_method_id: 'pm_card_visa', customer_id: 'cus_123', last4: '4242' }, NOW))
      .toEqual({ payment_method_id: 'pm_card_visa', customer_id: 'cus_123', last4: '4242' });
    expect(refusal(() => readPaymentDetails('stripe', { payment_method_id: 'card_123' }, NOW)).fields).toEqual(['details.payment_method_id']);
    expect(refusal(() => readPaymentDetails('stripe', { customer_id: 'pm_x' }, NOW)).fields).toEqual(['details.customer_id']);
  });

  it('takes cash without details, and refuses details that are not an object', () => {
    expect(readPaymentDetails('cash', undefined, NOW)).toEqual({});
    expect(refusal(() => readPaymentDetails('cash', { anything: 'x' }, NOW)).fields).toEqual(['details.anything']);
    expect(refusal(() => readPaymentDetails('bank', ['DE89370400440532013000'], NOW)).fields).toEqual(['details']);
    expect(refusal(() => readPaymentDetails('bank', 'DE89370400440532013000', NOW)).fields).toEqual(['details']);
  });
});

describe('isIban', () => {
  it('checks the ISO 13616 checksum', () => {
    expect(isIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isIban('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(isIban('DE89')).toBe(false);
  });
});
