import type { MikroORM } from '@mikro-orm/postgresql';
import { PaymentMethod } from './payment-method.entity';
import { PaymentMethodRepository } from './payment-method.repository';
import { PaymentMethodService, maskEmail, maskNumber, maskPaymentDetails } from './payment-method.service';

const em = {};
const orm = { em: { fork: () => em } } as unknown as MikroORM;

const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';

function method(overrides: Partial<PaymentMethod> = {}): PaymentMethod {
  return Object.assign(new PaymentMethod(), {
    id: '7d4b2c1a-0e9f-4a8b-9c7d-6e5f4a3b2c1d',
    userId: USER,
    methodType: 'bank',
    name: 'Salary account',
    details: {},
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

function serviceWith(rows: PaymentMethod[], total: number) {
  const findForUser = jest.fn().mockResolvedValue([rows, total]);
  const service = new PaymentMethodService(orm, { findForUser } as unknown as PaymentMethodRepository);
  return { service, findForUser };
}

describe('PaymentMethodService.listForUser', () => {
  it('asks the repository for the caller\'s page and returns it as {items,total,limit,offset}', async () => {
    const { service, findForUser } = serviceWith([method()], 7);

    const page = await service.listForUser(USER, 5, 5);

    expect(findForUser).toHaveBeenCalledWith(em, USER, 5, 5);
    expect(page).toMatchObject({ total: 7, limit: 5, offset: 5, items: [{ name: 'Salary account' }] });
  });

  it('never returns a full account number, card number, secret or provider reference', async () => {
    const stored = method({
      methodType: 'bank',
      details: {
        bank_name: 'First Bank',
        account_number: '0123456789012',
        routing_number: '021000021',
        iban: 'DE89 3704 0044 0532 0130 00',
        account_holder_name: 'Alice Example',
        pin: '1234',
        cvv: '999',
        access_token: 'tok_live_abcdef',
        online_banking: { password: 'hunter2' },
      },
      externalId: 'ba_1QxYzStripeBankAccount',
      metadata: { stripeCustomer: 'cus_123', fingerprint: 'fp_abc' },
    });
    const { service } = serviceWith([stored], 1);

    const [view] = (await service.listForUser(USER, 20, 0)).items;

    expect(view.details).toEqual({
      bank_name: 'First Bank',
      account_number: '****9012',
      routing_number: '****0021',
      iban: '****3000',
      account_holder_name: 'Alice Example',
    });
    expect(view).not.toHaveProperty('externalId');
    expect(view).not.toHaveProperty('metadata');
    const body = JSON.stringify(view);
    for (const secret of ['0123456789012', '021000021', '3704 0044', '1234', '999', 'tok_live', 'hunter2', 'ba_1Qx', 'cus_123']) {
      expect(body).not.toContain(secret);
    }
  });

  it('masks card and PayPal details in their usual shapes', async () => {
    const { service } = serviceWith(
      [
        method({ id: 'm1', methodType: 'card', name: 'Visa', details: { brand: 'visa', cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: 2029, last4: '4242' } }),
        method({ id: 'm2', methodType: 'paypal', name: 'PayPal', details: { email: 'alice@example.com' }, isDefault: true }),
      ],
      2,
    );

    const { items } = await service.listForUser(USER, 20, 0);

    expect(items[0].details).toEqual({ brand: 'visa', cardNumber: '****4242', expMonth: 12, expYear: 2029, last4: '4242' });
    expect(items[1].details).toEqual({ email: 'a***@example.com' });
    expect(items[1].isDefault).toBe(true);
  });

  it('shows the rest of the method as is, with ISO dates', async () => {
    const { service } = serviceWith([method()], 1);

    const [view] = (await service.listForUser(USER, 20, 0)).items;

    expect(view).toEqual({
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
