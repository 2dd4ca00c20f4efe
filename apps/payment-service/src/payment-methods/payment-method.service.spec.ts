import { PaymentMethod } from './payment-method.entity';
import { maskEmail, maskNumber, maskPaymentDetails, toPaymentMethodView } from './payment-method.service';

const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';

function method(overrides: Partial<PaymentMethod> = {}): PaymentMethod {
  return Object.assign(new PaymentMethod(), {
    id: '7d4b2c1a-0e9f-4a8b-9c7d-6e5f4a3b2c1d',
    userId: USER,
    methodType: 'bank',
    name: 'Salary account',
    details: { sealed: 'sealed:v1:aaa.bbb.ccc' },
    detailsMasked: {},
    provider: 'stripe',
    externalId: null,
    metadata: {},
    isActive: true,
    isVerified: true,
    isDefault: false,
    createdAt: new Date('2026-11-01T10:00:00.000Z'),
    updatedAt: new Date('2026-11-03T09:15:00.000Z'),
    ...overrides,
  });
}

describe('toPaymentMethodView', () => {
  it('never returns a full account number, card number, secret, the sealed details or a provider reference', () => {
    const stored = method({
      methodType: 'bank',
      detailsMasked: {
        bank_name: 'First Bank',
        account_number: '0123456789012',
        routing_number: '021000021',
        iban: 'DE89 3704 0044 0532 0130 00',
        account_holder_name: 'Alice Example',
        pin: '1234',
        cvv: '999',
        access_token: 'tok_live_abcdef',
      },
      externalId: 'ba_1QxYzStripeBankAccount',
      metadata: { stripeCustomer: 'cus_123', fingerprint: 'fp_abc' },
    });

    const view = toPaymentMethodView(stored);

    expect(view.details).toEqual({
      bank_name: 'First Bank',
      account_number: '****9012',
      routing_number: '****0021',
      iban: '****3000',
      account_holder_name: 'Alice Example',
    });
    for (const key of ['externalId', 'metadata', 'provider', 'detailsMasked']) expect(view).not.toHaveProperty(key);
    const body = JSON.stringify(view);
    for (const secret of ['0123456789012', '021000021', '3704 0044', '1234', '999', 'tok_live', 'ba_1Qx', 'cus_123', 'sealed:v1']) {
      expect(body).not.toContain(secret);
    }
  });

  it('masks card and PayPal details in their usual shapes', () => {
    expect(toPaymentMethodView(method({ methodType: 'card', detailsMasked: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2029 } })).details)
      .toEqual({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2029 });
    expect(toPaymentMethodView(method({ methodType: 'paypal', detailsMasked: { email: 'alice@example.com' } })).details).toEqual({ email: 'a***@example.com' });
    expect(toPaymentMethodView(method({ methodType: 'venmo', detailsMasked: { handle: '@alice' } })).details).toEqual({ handle: '@alice' });
  });

  it('shows the rest of the method as is, with ISO dates', () => {
    expect(toPaymentMethodView(method())).toEqual({
      id: '7d4b2c1a-0e9f-4a8b-9c7d-6e5f4a3b2c1d', methodType: 'bank', name: 'Salary account', details: {},
      isActive: true, isVerified: true, isDefault: false,
      createdAt: '2026-11-01T10:00:00.000Z', updatedAt: '2026-11-03T09:15:00.000Z',
    });
  });
});

describe('masking helpers', () => {
  it('hides short numbers entirely rather than show most of them', () => {
    expect(maskNumber('123456')).toBe('****');
    expect(maskNumber('12-34-56-78')).toBe('****5678');
  });

  it('masks an address without an @ entirely', () => {
    expect(maskEmail('not-an-email')).toBe('****');
    expect(maskEmail('@example.com')).toBe('****');
  });

  it('drops a `last4` field\'s extra characters even when someone stored a full number in it', () => {
    expect(maskPaymentDetails({ last4: '4000056655665556' })).toEqual({ last4: '5556' });
  });

  it('returns nothing for details that are not an object', () => {
    expect(maskPaymentDetails(null)).toEqual({});
    expect(maskPaymentDetails(['4242424242424242'])).toEqual({});
    expect(maskPaymentDetails('4242424242424242')).toEqual({});
  });
});
