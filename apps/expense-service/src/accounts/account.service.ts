import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { Page } from '@tally/service-kit';
import { Account } from './account.entity';
import { AccountRepository } from './account.repository';

export interface AccountView {
  id: string;
  name: string;
  accountType: string | null;
  institution: string | null;
  /** Decimal string, e.g. "1234.50". */
  balance: string;
  currency: string;
  /** Decimal string, or null when the account has no credit limit. */
  creditLimit: string | null;
  dueDay: number | null;
  icon: string | null;
  color: string | null;
  displayOrder: number;
  isHidden: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toAccountView(a: Account): AccountView {
  return {
    id: a.id, name: a.name, accountType: a.accountType ?? null, institution: a.institution ?? null,
    balance: a.balance, currency: a.currency, creditLimit: a.creditLimit ?? null, dueDay: a.dueDay ?? null,
    icon: a.icon ?? null, color: a.color ?? null, displayOrder: a.displayOrder, isHidden: a.isHidden,
    createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString(),
  };
}

@Injectable()
export class AccountService {
  constructor(
    private readonly orm: MikroORM,
    private readonly accounts: AccountRepository,
  ) {}

  async listForUser(userId: string, limit: number, offset: number): Promise<Page<AccountView>> {
    const [rows, total] = await this.accounts.findForUser(freshEm(this.orm), userId, limit, offset);
    return { items: rows.map(toAccountView), total, limit, offset };
  }
}
