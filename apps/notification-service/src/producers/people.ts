import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { currencyDecimals } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { formatAmount, parseAmount } from '@tally/money';

/** How a notification names a person: first name, else username, else 'Someone' (not in the users projection yet). */
export type NameOf = (userId: string | null | undefined) => string;

/** Names from the users projection (auth's user.* events), read in the consumer's transaction. */
@Injectable()
export class People {
  constructor(private readonly identity: IdentityProjectionRepository) {}

  async names(em: EntityManager, ids: readonly (string | null | undefined)[]): Promise<NameOf> {
    const users = await this.identity.findUsers(em, ids.filter((id): id is string => !!id));
    return (id) => {
      const u = id ? users.get(id) : undefined;
      return u?.firstName?.trim() || u?.username || 'Someone';
    };
  }
}

/** Minor units of an amount of `currency` (decimal string on the wire). */
export function minor(amount: string, currency: string): bigint {
  return parseAmount(amount, currencyDecimals(currency) ?? 2, { lenientPlaces: true });
}

/** "12.50" with the currency's places, without the code. */
export function amountText(value: bigint, currency: string): string {
  return formatAmount(value, currencyDecimals(currency) ?? 2);
}

/** "12.50 EUR". */
export function money(amount: string, currency: string): string {
  return `${amountText(minor(amount, currency), currency)} ${currency}`;
}

/** Each person's total of a list of payers or shares, in minor units. */
export function totalsByUser(parts: readonly { userId: string; amount: string }[] | undefined, currency: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const p of parts ?? []) out.set(p.userId, (out.get(p.userId) ?? 0n) + minor(p.amount, currency));
  return out;
}

/** A title in quotes, as messages cite it. */
export function quoted(title: string): string {
  return `"${title}"`;
}

/** An app path: relative, resolved by the client against the app's public URL. */
export const AppPaths = {
  friends: () => '/friends',
  group: (id: string) => `/groups/${id}`,
  expense: (id: string) => `/expenses/${id}`,
  settlement: (id: string) => `/settlements/${id}`,
  budget: (id: string) => `/budgets/${id}`,
};
