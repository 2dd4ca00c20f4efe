import type { MikroORM } from '@mikro-orm/postgresql';
import { Account } from './account.entity';
import { AccountRepository } from './account.repository';
import { AccountService } from './account.service';

const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';
const em = {};
const orm = { em: { fork: () => em } } as unknown as MikroORM;

function account(overrides: Partial<Account> = {}): Account {
  return Object.assign(new Account(), {
    id: '0b6f1f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
    userId: USER,
    name: 'Everyday checking',
    accountType: 'checking',
    institution: 'First Bank',
    balance: '1234.50',
    currency: 'USD',
    creditLimit: null,
    dueDay: null,
    icon: null,
    color: '#00aa88',
    displayOrder: 0,
    isHidden: false,
    createdAt: new Date('2026-11-01T10:00:00.000Z'),
    updatedAt: new Date('2026-11-02T11:30:00.000Z'),
    deletedAt: null,
    ...overrides,
  });
}

function serviceWith(rows: Account[], total: number) {
  const findForUser = jest.fn().mockResolvedValue([rows, total]);
  const service = new AccountService(orm, { findForUser } as unknown as AccountRepository);
  return { service, findForUser };
}

describe('AccountService.listForUser', () => {
  it('asks the repository for the caller\'s page and returns it as {items,total,limit,offset}', async () => {
    const { service, findForUser } = serviceWith([account()], 41);

    const page = await service.listForUser(USER, 20, 40);

    expect(findForUser).toHaveBeenCalledWith(em, USER, 20, 40);
    expect(page).toEqual({ items: [expect.objectContaining({ name: 'Everyday checking' })], total: 41, limit: 20, offset: 40 });
  });

  it('keeps money as exact decimal strings, trailing zeros and sign included', async () => {
    const { service } = serviceWith(
      [
        account({ balance: '0.10' }),
        account({ id: 'c2', name: 'Visa', accountType: 'credit_card', balance: '-2500.75', creditLimit: '10000.00', dueDay: 15 }),
        account({ id: 'c3', name: 'Brokerage', accountType: 'investment', balance: '9999999999.99' }),
      ],
      3,
    );

    const { items } = await service.listForUser(USER, 20, 0);

    expect(items.map((i) => i.balance)).toEqual(['0.10', '-2500.75', '9999999999.99']);
    for (const i of items) expect(typeof i.balance).toBe('string');
    expect(items[0].creditLimit).toBeNull();
    expect(items[1]).toMatchObject({ creditLimit: '10000.00', dueDay: 15, accountType: 'credit_card' });
  });

  it('shows a user-facing view: ISO dates, nulls for unset fields, no owner id or deletion marker', async () => {
    const { service } = serviceWith([account({ accountType: undefined, institution: undefined, color: undefined, isHidden: true })], 1);

    const [view] = (await service.listForUser(USER, 20, 0)).items;

    expect(view).toEqual({
      id: '0b6f1f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
      name: 'Everyday checking',
      accountType: null,
      institution: null,
      balance: '1234.50',
      currency: 'USD',
      creditLimit: null,
      dueDay: null,
      icon: null,
      color: null,
      displayOrder: 0,
      isHidden: true,
      createdAt: '2026-11-01T10:00:00.000Z',
      updatedAt: '2026-11-02T11:30:00.000Z',
    });
    expect(view).not.toHaveProperty('userId');
    expect(view).not.toHaveProperty('deletedAt');
  });

  it('returns an empty page past the end, still reporting the total', async () => {
    const { service } = serviceWith([], 3);

    expect(await service.listForUser(USER, 10, 30)).toEqual({ items: [], total: 3, limit: 10, offset: 30 });
  });
});
