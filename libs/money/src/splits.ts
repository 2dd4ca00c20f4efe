import { allocate, integerWeights, type Weight } from './allocate';
import { MoneyError, SplitError, type SplitErrorCode } from './errors';
import { DEFAULT_MAX_INTEGER_DIGITS, formatAmount, type ParseAmountOptions, type Places, parseAmount, placesOf } from './money';

/**
 * Splits: who owes what share of an expense, in exact minor units.
 *
 * - `equal`: the amount over the listed users by `allocate` with equal weights — the leftover
 *   minor units go one each to the smallest user ids (all remainders tie).
 * - `exact`: the given amounts, which must add up exactly to the amount.
 * - `percentage`: decimal percentages (up to 4 places by default) adding up to exactly 100,
 *   allocated in proportion to the percentages.
 * - `shares`: whole or decimal share counts (≥ 0, not all 0), allocated in proportion.
 * - `adjustment`: each listed user gets their adjustment (may be negative) plus an equal part of
 *   what is left after all adjustments, the amount minus their sum (≥ 0), split as `equal`.
 * - `itemized`: each item's amount is split over its users (equally, or by weights) with
 *   `allocate`; tax + tip together are then allocated in proportion to each user's items subtotal;
 *   items + tax + tip must add up exactly to the amount.
 * Every allocation follows the largest remainder rule of `allocate.ts` with user ids as keys, so
 * the result never depends on the order in which users, items or payers were listed.
 * Shares of 0 are dropped from the result (a share row is > 0); a share below 0 is an error
 * (`split.negative_share`). The result is sorted by user id and sums exactly to the amount.
 */

/** An amount in an input: a decimal string in the expense's currency, or minor units as a bigint. */
export type AmountInput = string | bigint;

export const SPLIT_TYPES = ['equal', 'exact', 'percentage', 'shares', 'adjustment', 'itemized'] as const;
export type SplitType = (typeof SPLIT_TYPES)[number];

export interface ItemInput {
  readonly amount: AmountInput;
  /** The users sharing the item equally… */
  readonly userIds?: readonly string[];
  /** …or by weights (whole or decimal numbers ≥ 0). Give one of the two. */
  readonly weights?: readonly { readonly userId: string; readonly weight: Weight }[];
}

export type SplitSpec =
  | { readonly type: 'equal'; readonly userIds: readonly string[] }
  | { readonly type: 'exact'; readonly amounts: readonly { readonly userId: string; readonly amount: AmountInput }[] }
  | { readonly type: 'percentage'; readonly percentages: readonly { readonly userId: string; readonly percent: string }[] }
  | { readonly type: 'shares'; readonly shares: readonly { readonly userId: string; readonly shares: Weight }[] }
  | { readonly type: 'adjustment'; readonly adjustments: readonly { readonly userId: string; readonly adjustment: AmountInput }[] }
  | { readonly type: 'itemized'; readonly items: readonly ItemInput[]; readonly tax?: AmountInput; readonly tip?: AmountInput };

/** One payer; the amount may be left out only when there is a single payer (who then paid it all). */
export interface PayerInput {
  readonly userId: string;
  readonly amount?: AmountInput;
}

/** A user's amount in minor units (a share owed, or an amount paid). */
export interface UserAmount {
  readonly userId: string;
  readonly amount: bigint;
}

export interface SplitOptions {
  /** Integer digits allowed in amounts (default 13, as `parseAmount`). */
  readonly maxIntegerDigits?: number;
  /** Decimal places allowed in percentages (default 4: "33.3333"). */
  readonly percentPlaces?: number;
}

export interface ExpenseSplitInput {
  /** The expense's amount, > 0. */
  readonly amount: AmountInput;
  /** The expense currency's decimal places (or its row). */
  readonly currency: Places;
  readonly split: SplitSpec;
  readonly payers: readonly PayerInput[];
}

export interface ComputedSplit {
  readonly amount: bigint;
  /** Sorted by user id, every amount > 0, summing exactly to `amount`. */
  readonly shares: UserAmount[];
  /** Sorted by user id, every amount > 0, summing exactly to `amount`. */
  readonly payers: UserAmount[];
}

/** Validates and computes an expense's shares and payers. Throws `SplitError`. */
export function computeSplit(input: ExpenseSplitInput, options: SplitOptions = {}): ComputedSplit {
  const places = asSplitError('currency', () => placesOf(input.currency));
  const amount = readAmount(input.amount, places, 'amount', { sign: 'positive', maxIntegerDigits: options.maxIntegerDigits });
  return {
    amount,
    shares: computeShares(amount, places, input.split, options),
    payers: computePayers(amount, places, input.payers, options),
  };
}

/** The shares of `amount` (minor units, > 0) under `split`. Throws `SplitError`. */
export function computeShares(amount: bigint, currency: Places, split: SplitSpec, options: SplitOptions = {}): UserAmount[] {
  const places = asSplitError('currency', () => placesOf(currency));
  if (typeof amount !== 'bigint' || amount <= 0n) {
    throw new SplitError('amount.not_positive', 'The amount to split must be greater than zero.', { field: 'amount' });
  }
  const max = options.maxIntegerDigits;
  let result: Map<string, bigint>;
  switch (split?.type) {
    case 'equal':
      result = equalShares(amount, users(split.userIds, 'split.userIds'), 'split.userIds');
      break;
    case 'exact':
      result = exactShares(amount, places, split.amounts, max);
      break;
    case 'percentage':
      result = percentageShares(amount, split.percentages, options.percentPlaces ?? 4);
      break;
    case 'shares':
      result = weightedShares(amount, list(split.shares, 'split.shares').map((s) => ({ userId: s?.userId, weight: s?.shares })), 'split.shares', 'shares');
      break;
    case 'adjustment':
      result = adjustmentShares(amount, places, split.adjustments, max);
      break;
    case 'itemized':
      result = itemizedShares(amount, places, split, max);
      break;
    default:
      throw new SplitError('split.unknown_type', `Unknown split type; use one of ${SPLIT_TYPES.join(', ')}.`, { field: 'split.type' });
  }
  const shares: UserAmount[] = [];
  for (const [userId, value] of result) {
    if (value < 0n) {
      throw new SplitError('split.negative_share', `This split would give user ${userId} a negative share; shares must be zero or more.`, {
        userId,
        share: value.toString(),
      });
    }
    if (value > 0n) shares.push({ userId, amount: value });
  }
  return shares.sort(byUser);
}

/**
 * The payers of `amount`: a single payer without an amount paid it all; otherwise every payer's
 * amount (≥ 0; zeros dropped) is given and they add up exactly to `amount`. Throws `SplitError`.
 */
export function computePayers(amount: bigint, currency: Places, payers: readonly PayerInput[], options: SplitOptions = {}): UserAmount[] {
  const places = asSplitError('currency', () => placesOf(currency));
  const rows = list(payers, 'payers');
  if (rows.length === 0) throw new SplitError('split.no_payers', 'An expense needs at least one payer.', { field: 'payers' });
  const ids = users(rows.map((p) => p?.userId), 'payers', 'split.duplicate_payer');
  if (rows.length === 1 && rows[0].amount === undefined) return [{ userId: ids[0], amount }];
  const out: UserAmount[] = [];
  let sum = 0n;
  rows.forEach((p, i) => {
    if (p.amount === undefined) {
      throw new SplitError('split.payer_amount_required', 'With several payers, each payer needs the amount they paid.', { field: `payers[${i}].amount` });
    }
    const paid = readAmount(p.amount, places, `payers[${i}].amount`, { sign: 'non-negative', maxIntegerDigits: options.maxIntegerDigits });
    sum += paid;
    if (paid > 0n) out.push({ userId: ids[i], amount: paid });
  });
  if (sum !== amount) {
    throw new SplitError('split.payers_sum_mismatch', `The payers' amounts add up to ${fmt(sum, places)}, not the expense's ${fmt(amount, places)}.`, {
      field: 'payers',
      expected: fmt(amount, places),
      actual: fmt(sum, places),
    });
  }
  return out.sort(byUser);
}

function equalShares(amount: bigint, ids: string[], field: string): Map<string, bigint> {
  if (ids.length === 0) throw new SplitError('split.no_participants', 'Split between at least one person.', { field });
  const parts = ids.map((key) => ({ key, weight: 1n }));
  const values = allocate(amount, parts);
  return new Map(ids.map((id, i) => [id, values[i]]));
}

function exactShares(amount: bigint, places: number, rows: SpecRows<'exact'>, max?: number): Map<string, bigint> {
  const list_ = list(rows, 'split.amounts');
  if (list_.length === 0) throw new SplitError('split.no_participants', 'Split between at least one person.', { field: 'split.amounts' });
  const ids = users(list_.map((r) => r?.userId), 'split.amounts');
  const result = new Map<string, bigint>();
  let sum = 0n;
  list_.forEach((r, i) => {
    const v = readAmount(r.amount, places, `split.amounts[${i}].amount`, { sign: 'any', maxIntegerDigits: max });
    if (v < 0n) {
      throw new SplitError('split.negative_share', `The share of user ${ids[i]} is negative; shares must be zero or more.`, { field: `split.amounts[${i}].amount` });
    }
    sum += v;
    result.set(ids[i], v);
  });
  if (sum !== amount) {
    throw new SplitError('split.exact_sum_mismatch', `The exact amounts add up to ${fmt(sum, places)}, not the expense's ${fmt(amount, places)}.`, {
      field: 'split.amounts',
      expected: fmt(amount, places),
      actual: fmt(sum, places),
    });
  }
  return result;
}

function percentageShares(amount: bigint, rows: SpecRows<'percentage'>, percentPlaces: number): Map<string, bigint> {
  const list_ = list(rows, 'split.percentages');
  if (list_.length === 0) throw new SplitError('split.no_participants', 'Split between at least one person.', { field: 'split.percentages' });
  const ids = users(list_.map((r) => r?.userId), 'split.percentages');
  const pattern = new RegExp(`^(\\d{1,3})(?:\\.(\\d{1,${percentPlaces}}))?$`);
  const unit = 10n ** BigInt(percentPlaces);
  let sum = 0n;
  const weights = list_.map((r, i) => {
    const m = typeof r.percent === 'string' ? pattern.exec(r.percent) : null;
    if (!m) {
      throw new SplitError('amount.invalid', `A percentage is a number from 0 to 100 with at most ${percentPlaces} decimal places, such as "33.3333".`, {
        field: `split.percentages[${i}].percent`,
      });
    }
    const w = BigInt(m[1]) * unit + BigInt((m[2] ?? '').padEnd(percentPlaces, '0') || '0');
    sum += w;
    return w;
  });
  if (sum !== 100n * unit) {
    let shown = formatAmount(sum, percentPlaces);
    if (shown.includes('.')) shown = shown.replace(/0+$/, '').replace(/\.$/, '');
    throw new SplitError('split.percentage_sum', `The percentages add up to ${shown}, not 100.`, { field: 'split.percentages', actual: shown });
  }
  const values = allocate(amount, ids.map((key, i) => ({ key, weight: weights[i] })));
  return new Map(ids.map((id, i) => [id, values[i]]));
}

function weightedShares(amount: bigint, rows: readonly { userId: unknown; weight: unknown }[], field: string, what: string): Map<string, bigint> {
  if (rows.length === 0) throw new SplitError('split.no_participants', 'Split between at least one person.', { field });
  const ids = users(rows.map((r) => r.userId), field);
  const weights = rows.map((r, i) => asSplitError(`${field}[${i}].${what}`, () => integerWeights([r.weight as Weight])[0]));
  // Scale every weight alike (decimal strings may have different places).
  const scaled = asSplitError(field, () => integerWeights(rows.map((r) => r.weight as Weight)));
  if (weights.every((w) => w === 0n)) {
    throw new SplitError('split.zero_weights', `The ${what} add up to zero; give at least one person more than zero.`, { field });
  }
  const values = allocate(amount, ids.map((key, i) => ({ key, weight: scaled[i] })));
  return new Map(ids.map((id, i) => [id, values[i]]));
}

function adjustmentShares(amount: bigint, places: number, rows: SpecRows<'adjustment'>, max?: number): Map<string, bigint> {
  const list_ = list(rows, 'split.adjustments');
  if (list_.length === 0) throw new SplitError('split.no_participants', 'Split between at least one person.', { field: 'split.adjustments' });
  const ids = users(list_.map((r) => r?.userId), 'split.adjustments');
  let total = 0n;
  const adj = list_.map((r, i) => {
    const v = readAmount(r.adjustment ?? '0', places, `split.adjustments[${i}].adjustment`, { sign: 'any', maxIntegerDigits: max });
    total += v;
    return v;
  });
  const rest = amount - total;
  if (rest < 0n) {
    throw new SplitError('split.adjustment_exceeds_amount', `The adjustments add up to ${fmt(total, places)}, more than the expense's ${fmt(amount, places)}.`, {
      field: 'split.adjustments',
      expected: `<= ${fmt(amount, places)}`,
      actual: fmt(total, places),
    });
  }
  const equal = equalShares(rest, ids, 'split.adjustments');
  return new Map(ids.map((id, i) => [id, (equal.get(id) ?? 0n) + adj[i]]));
}

function itemizedShares(amount: bigint, places: number, split: Extract<SplitSpec, { type: 'itemized' }>, max?: number): Map<string, bigint> {
  const items = list(split.items, 'split.items');
  if (items.length === 0) throw new SplitError('split.no_participants', 'An itemized split needs at least one item.', { field: 'split.items' });
  const opts: ParseAmountOptions = { sign: 'non-negative', maxIntegerDigits: max };
  const tax = split.tax === undefined ? 0n : readAmount(split.tax, places, 'split.tax', opts);
  const tip = split.tip === undefined ? 0n : readAmount(split.tip, places, 'split.tip', opts);
  const subtotal = new Map<string, bigint>();
  let itemsSum = 0n;
  items.forEach((item, i) => {
    const field = `split.items[${i}]`;
    if (item === null || typeof item !== 'object') throw new SplitError('split.invalid_item', 'Each item is an object with an amount and its users.', { field });
    const value = readAmount(item.amount, places, `${field}.amount`, opts);
    itemsSum += value;
    if ((item.userIds === undefined) === (item.weights === undefined)) {
      throw new SplitError('split.invalid_item', 'Give each item either the users who share it equally or their weights, not both.', { field });
    }
    let shares: Map<string, bigint>;
    if (item.userIds !== undefined) {
      const ids = users(item.userIds, `${field}.userIds`);
      if (ids.length === 0) throw new SplitError('split.item_no_users', 'Each item needs at least one person sharing it.', { field: `${field}.userIds` });
      shares = equalShares(value, ids, `${field}.userIds`);
    } else {
      const rows = list(item.weights, `${field}.weights`);
      if (rows.length === 0) throw new SplitError('split.item_no_users', 'Each item needs at least one person sharing it.', { field: `${field}.weights` });
      shares = weightedShares(value, rows.map((r) => ({ userId: r?.userId, weight: r?.weight })), `${field}.weights`, 'weights');
    }
    for (const [id, v] of shares) subtotal.set(id, (subtotal.get(id) ?? 0n) + v);
  });
  const total = itemsSum + tax + tip;
  if (total !== amount) {
    throw new SplitError('split.itemized_sum_mismatch', `Items, tax and tip add up to ${fmt(total, places)}, not the expense's ${fmt(amount, places)}.`, {
      field: 'split.items',
      expected: fmt(amount, places),
      actual: fmt(total, places),
    });
  }
  const extra = tax + tip;
  if (extra > 0n) {
    if (itemsSum === 0n) {
      throw new SplitError('split.zero_weights', 'Tax and tip are shared in proportion to the items, but the items add up to zero.', { field: 'split.items' });
    }
    const ids = [...subtotal.keys()];
    const spread = allocate(extra, ids.map((key) => ({ key, weight: subtotal.get(key)! })));
    ids.forEach((id, i) => subtotal.set(id, subtotal.get(id)! + spread[i]));
  }
  return subtotal;
}

type SpecRows<T extends 'exact' | 'percentage' | 'adjustment'> = T extends 'exact'
  ? Extract<SplitSpec, { type: 'exact' }>['amounts']
  : T extends 'percentage'
    ? Extract<SplitSpec, { type: 'percentage' }>['percentages']
    : Extract<SplitSpec, { type: 'adjustment' }>['adjustments'];

function list<T>(value: readonly T[] | undefined, field: string): readonly T[] {
  if (!Array.isArray(value)) throw new SplitError('split.no_participants', `${field} must be a list.`, { field });
  return value;
}

/** Checks user ids (non-empty strings, each once). */
function users(ids: readonly unknown[] | undefined, field: string, duplicate: SplitErrorCode = 'split.duplicate_user'): string[] {
  const seen = new Set<string>();
  return list(ids, field).map((id, i) => {
    if (typeof id !== 'string' || id.length === 0) throw new SplitError('split.invalid_user', 'Each person is named by their user id.', { field: `${field}[${i}]` });
    if (seen.has(id)) throw new SplitError(duplicate, `User ${id} is listed twice.`, { field, userId: id });
    seen.add(id);
    return id;
  });
}

function readAmount(value: AmountInput | undefined, places: number, field: string, options: ParseAmountOptions): bigint {
  if (typeof value === 'bigint') {
    const sign = options.sign ?? 'non-negative';
    if (sign !== 'any' && value < 0n) throw new SplitError('amount.negative', `The amount at ${field} is negative.`, { field });
    if (sign === 'positive' && value === 0n) throw new SplitError('amount.not_positive', `The amount at ${field} must be greater than zero.`, { field });
    const maxInt = options.maxIntegerDigits ?? DEFAULT_MAX_INTEGER_DIGITS;
    if ((value < 0n ? -value : value) >= 10n ** BigInt(maxInt + places)) {
      throw new SplitError('amount.too_large', `The amount at ${field} is too large: at most ${maxInt} digits before the decimal point.`, { field });
    }
    return value;
  }
  return asSplitError(field, () => parseAmount(value, places, options));
}

/** Runs `fn`, turning a `MoneyError` from reading a value into a `SplitError` naming the field. */
function asSplitError<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MoneyError && !(e instanceof SplitError)) {
      throw new SplitError(e.code as SplitErrorCode, e.message, { ...e.details, field });
    }
    throw e;
  }
}

function byUser(a: UserAmount, b: UserAmount): number {
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

function fmt(minor: bigint, places: number): string {
  return formatAmount(minor, places);
}
