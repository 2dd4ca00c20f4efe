import type { PayerInput, SplitSpec } from '@tally/money';
import { ExpenseErrors } from './expense.exceptions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PEOPLE = 200;
const MAX_ITEMS = 200;

type Obj = Record<string, unknown>;
const bad = (field: string, message: string) => ExpenseErrors.invalidSplit('split.invalid', message, { field });

function object(v: unknown, field: string, keys: readonly string[], required: readonly string[] = keys): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(field, `${field} must be an object`);
  const o = v as Obj;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw bad(`${field}.${k}`, `${field}.${k} is not a known field (allowed: ${keys.join(', ')})`);
  for (const k of required) if (o[k] === undefined) throw bad(`${field}.${k}`, `${field}.${k} is required`);
  return o;
}

function list(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > max) throw bad(field, `${field} must be a list of 1 to ${max} entries`);
  return v;
}

function userId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !UUID.test(v)) throw bad(field, `${field} must be a user id (UUID)`);
  return v.toLowerCase();
}

function decimalText(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length > 40) throw bad(field, `${field} must be a decimal string such as "12.50"`);
  return v;
}

function weight(v: unknown, field: string): string {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return decimalText(v, field);
}

/**
 * The `split` of a request, read strictly into the money library's `SplitSpec`: known fields only,
 * user ids as UUIDs, amounts and percentages as decimal strings (share counts may be whole JSON
 * numbers). Whether the numbers add up is the library's to say (`computeSplit`).
 */
export function readSplit(raw: unknown): SplitSpec {
  const head = object(raw, 'split', ['type', 'userIds', 'amounts', 'percentages', 'shares', 'adjustments', 'items', 'tax', 'tip'], ['type']);
  switch (head.type) {
    case 'equal': {
      const o = object(raw, 'split', ['type', 'userIds']);
      return { type: 'equal', userIds: list(o.userIds, 'split.userIds', MAX_PEOPLE).map((u, i) => userId(u, `split.userIds[${i}]`)) };
    }
    case 'exact': {
      const o = object(raw, 'split', ['type', 'amounts']);
      return {
        type: 'exact',
        amounts: list(o.amounts, 'split.amounts', MAX_PEOPLE).map((r, i) => {
          const row = object(r, `split.amounts[${i}]`, ['userId', 'amount']);
          return { userId: userId(row.userId, `split.amounts[${i}].userId`), amount: decimalText(row.amount, `split.amounts[${i}].amount`) };
        }),
      };
    }
    case 'percentage': {
      const o = object(raw, 'split', ['type', 'percentages']);
      return {
        type: 'percentage',
        percentages: list(o.percentages, 'split.percentages', MAX_PEOPLE).map((r, i) => {
          const row = object(r, `split.percentages[${i}]`, ['userId', 'percent']);
          return { userId: userId(row.userId, `split.percentages[${i}].userId`), percent: decimalText(row.percent, `split.percentages[${i}].percent`) };
        }),
      };
    }
    case 'shares': {
      const o = object(raw, 'split', ['type', 'shares']);
      return {
        type: 'shares',
        shares: list(o.shares, 'split.shares', MAX_PEOPLE).map((r, i) => {
          const row = object(r, `split.shares[${i}]`, ['userId', 'shares']);
          return { userId: userId(row.userId, `split.shares[${i}].userId`), shares: weight(row.shares, `split.shares[${i}].shares`) };
        }),
      };
    }
    case 'adjustment': {
      const o = object(raw, 'split', ['type', 'adjustments']);
      return {
        type: 'adjustment',
        adjustments: list(o.adjustments, 'split.adjustments', MAX_PEOPLE).map((r, i) => {
          const row = object(r, `split.adjustments[${i}]`, ['userId', 'adjustment']);
          return { userId: userId(row.userId, `split.adjustments[${i}].userId`), adjustment: decimalText(row.adjustment, `split.adjustments[${i}].adjustment`) };
        }),
      };
    }
    case 'itemized': {
      const o = object(raw, 'split', ['type', 'items', 'tax', 'tip'], ['type', 'items']);
      return {
        type: 'itemized',
        items: list(o.items, 'split.items', MAX_ITEMS).map((r, i) => {
          const row = object(r, `split.items[${i}]`, ['name', 'amount', 'userIds', 'weights'], ['amount']);
          if (row.name !== undefined && (typeof row.name !== 'string' || row.name.length > 200)) throw bad(`split.items[${i}].name`, 'an item name is text of at most 200 characters');
          if ((row.userIds === undefined) === (row.weights === undefined)) throw bad(`split.items[${i}]`, 'give an item either userIds or weights');
          return {
            // the item's name is kept in split_data with the rest of the bill (the money library ignores it)
            ...(row.name !== undefined ? { name: (row.name as string).trim() } : {}),
            amount: decimalText(row.amount, `split.items[${i}].amount`),
            ...(row.userIds !== undefined ? { userIds: list(row.userIds, `split.items[${i}].userIds`, MAX_PEOPLE).map((u, j) => userId(u, `split.items[${i}].userIds[${j}]`)) } : {}),
            ...(row.weights !== undefined ? {
              weights: list(row.weights, `split.items[${i}].weights`, MAX_PEOPLE).map((w, j) => {
                const wr = object(w, `split.items[${i}].weights[${j}]`, ['userId', 'weight']);
                return { userId: userId(wr.userId, `split.items[${i}].weights[${j}].userId`), weight: weight(wr.weight, `split.items[${i}].weights[${j}].weight`) };
              }),
            } : {}),
          };
        }),
        ...(o.tax !== undefined ? { tax: decimalText(o.tax, 'split.tax') } : {}),
        ...(o.tip !== undefined ? { tip: decimalText(o.tip, 'split.tip') } : {}),
      };
    }
    default:
      throw bad('split.type', 'split.type must be one of equal, exact, percentage, shares, adjustment, itemized');
  }
}

/** `payers`: one or more `{ userId, amount }` (the amount may be left out for a single payer). */
export function readPayers(raw: unknown): PayerInput[] {
  return list(raw, 'payers', MAX_PEOPLE).map((r, i) => {
    const row = object(r, `payers[${i}]`, ['userId', 'amount'], ['userId']);
    return { userId: userId(row.userId, `payers[${i}].userId`), ...(row.amount !== undefined ? { amount: decimalText(row.amount, `payers[${i}].amount`) } : {}) };
  });
}

/** Every user an expense involves: its payers and the people in its split. */
export function splitUsers(split: SplitSpec, payers: readonly PayerInput[]): string[] {
  const ids = new Set<string>(payers.map((p) => p.userId));
  switch (split.type) {
    case 'equal': split.userIds.forEach((u) => ids.add(u)); break;
    case 'exact': split.amounts.forEach((r) => ids.add(r.userId)); break;
    case 'percentage': split.percentages.forEach((r) => ids.add(r.userId)); break;
    case 'shares': split.shares.forEach((r) => ids.add(r.userId)); break;
    case 'adjustment': split.adjustments.forEach((r) => ids.add(r.userId)); break;
    case 'itemized': split.items.forEach((it) => { it.userIds?.forEach((u) => ids.add(u)); it.weights?.forEach((w) => ids.add(w.userId)); }); break;
  }
  return [...ids].sort();
}
