/**
 * Keeps a profile's denormalized totals (`user_profiles.total_expenses`, `total_groups`,
 * `expense_count`) from other services' events. Pure: it maps totals to new totals, and the future
 * Kafka handler loads the profile row (FOR UPDATE), applies, and saves in the inbox transaction.
 *
 * Fed by ProfileTotalsHandlers (profile-totals.handlers.ts). The events:
 * - `expense.created` (expense-service, `expense.expense.v1`): the payer's (paid_by_id) expense,
 *   with its amount → applyExpenseCreated;
 * - `expense.deleted` → applyExpenseDeleted (the amount the projection last counted);
 * - `expense.updated` when the amount or the payer changes → applyExpenseAmountChanged for the
 *   same payer, or Deleted for the old payer and Created for the new one;
 * - `membership.joined` / `membership.left` (group-service, `group.membership.v1`; removal and
 *   group deletion count as leaving) → applyMembershipJoined / applyMembershipLeft.
 *
 * Amounts: decimal strings with at most 2 decimals, added as BigInt minor units (cents), never JS
 * floats. The total is NUMERIC(15,2), so amounts must already be in ONE reporting currency: the
 * producer must send the amount converted at the rate it recorded (ARCHITECTURE.md, "Money"), e.g.
 * `amountInBaseCurrency`; amounts in 3-decimal currencies are converted, not truncated here.
 *
 * Idempotency: the consumer's inbox records each event id in the same transaction as its effect,
 * so a redelivered event is never applied twice; this class does not deduplicate. Events of one
 * expense share a Kafka key (the expense id), so its delete never overtakes its create. Totals never
 * go below zero (the columns have CHECK >= 0): a delete without a counted create (say, an expense from
 * before this projection existed) clamps at zero instead of failing the consumer forever.
 */

export interface ProfileTotals {
  /** NUMERIC(15,2) as a string, e.g. "1234.50". */
  totalExpenses: string;
  totalGroups: number;
  expenseCount: number;
}

export const ZERO_TOTALS: ProfileTotals = Object.freeze({ totalExpenses: '0.00', totalGroups: 0, expenseCount: 0 });

const SCALE = 2;
/** NUMERIC(15,2): at most 13 integer digits. */
const MAX_MINOR = 10n ** 15n - 1n;
const MAX_COUNT = 2_147_483_647; // INTEGER

export class InvalidAmountError extends Error {
  constructor(value: unknown) {
    super(`not a decimal amount with at most ${SCALE} decimals: ${JSON.stringify(value)?.slice(0, 40)}`);
    this.name = 'InvalidAmountError';
  }
}

/** `"12.3"` → 1230n, `"-0.05"` → -5n. Refuses floats, exponents, more than 2 decimals and anything beyond NUMERIC(15,2). */
export function toMinorUnits(value: string): bigint {
  const m = typeof value === 'string' ? /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/.exec(value) : null;
  if (!m) throw new InvalidAmountError(value);
  const minor = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(SCALE, '0'));
  return m[1] ? -minor : minor;
}

/** 1230n → `"12.30"`. */
export function fromMinorUnits(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(SCALE, '0')}`;
}

function clampTotal(minor: bigint): string {
  if (minor > MAX_MINOR) throw new RangeError('total_expenses would exceed NUMERIC(15,2)');
  return fromMinorUnits(minor < 0n ? 0n : minor);
}

function clampCount(n: number): number {
  if (n > MAX_COUNT) throw new RangeError('count would exceed INTEGER');
  return Math.max(0, n);
}

function positive(amount: string): bigint {
  const minor = toMinorUnits(amount);
  if (minor <= 0n) throw new InvalidAmountError(amount); // expenses are > 0 (seed: check_positive_amount)
  return minor;
}

export class ProfileTotalsProjector {
  applyExpenseCreated(t: ProfileTotals, e: { amount: string }): ProfileTotals {
    return { ...t, totalExpenses: clampTotal(toMinorUnits(t.totalExpenses) + positive(e.amount)), expenseCount: clampCount(t.expenseCount + 1) };
  }

  applyExpenseDeleted(t: ProfileTotals, e: { amount: string }): ProfileTotals {
    return { ...t, totalExpenses: clampTotal(toMinorUnits(t.totalExpenses) - positive(e.amount)), expenseCount: clampCount(t.expenseCount - 1) };
  }

  /** Same payer, new amount: the count stays. */
  applyExpenseAmountChanged(t: ProfileTotals, e: { previousAmount: string; amount: string }): ProfileTotals {
    const delta = positive(e.amount) - positive(e.previousAmount);
    return { ...t, totalExpenses: clampTotal(toMinorUnits(t.totalExpenses) + delta) };
  }

  /** A change of several totals at once (a payer's expense edited, restored, approved…): cents in USD and counts. */
  applyDelta(t: ProfileTotals, d: { totalCents: bigint; expenses: number; groups: number }): ProfileTotals {
    return {
      totalExpenses: clampTotal(toMinorUnits(t.totalExpenses) + d.totalCents),
      expenseCount: clampCount(t.expenseCount + d.expenses),
      totalGroups: clampCount(t.totalGroups + d.groups),
    };
  }

  applyMembershipJoined(t: ProfileTotals): ProfileTotals {
    return { ...t, totalGroups: clampCount(t.totalGroups + 1) };
  }

  applyMembershipLeft(t: ProfileTotals): ProfileTotals {
    return { ...t, totalGroups: clampCount(t.totalGroups - 1) };
  }
}
