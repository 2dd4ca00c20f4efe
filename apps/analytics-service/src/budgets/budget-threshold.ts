import { parseAmount } from '@tally/money';

/** The shares of a budget's amount that are announced, in per cent. */
export const THRESHOLDS = [80, 100] as const;
export type Threshold = (typeof THRESHOLDS)[number];

/** NUMERIC(…,3) text from PostgreSQL ("100.000", "85.5") as thousandths: one exact scale for amounts and sums. */
export function thousandths(text: string): bigint {
  return parseAmount(text, 3, { lenientPlaces: true, sign: 'any', maxIntegerDigits: 19 });
}

/** Whether `spent` reached `threshold` per cent of `amount`, exactly: spent × 100 ≥ amount × threshold. */
export function reached(amount: bigint, spent: bigint, threshold: Threshold): boolean {
  return spent * 100n >= amount * BigInt(threshold);
}

/**
 * What a period's spending means for its thresholds, given the ones already recorded for it: every
 * threshold reached and not recorded yet is recorded; only the highest of them is announced, so a jump
 * straight past 100 % announces 100 and records 80 as passed. A threshold once recorded is never
 * announced again, whatever the spending does afterwards (an edit lowering it, then raising it again).
 */
export function thresholdDecision(amount: bigint, spent: bigint, recorded: ReadonlySet<number>): { threshold: Threshold; announce: boolean }[] {
  if (amount <= 0n) return [];
  const fresh = THRESHOLDS.filter((t) => reached(amount, spent, t) && !recorded.has(t));
  const highest = fresh[fresh.length - 1];
  return fresh.map((threshold) => ({ threshold, announce: threshold === highest }));
}

/** `spent` as a percentage of `amount` with two decimals, rounded down (so 100.00 means reached): hundredths of a per cent. */
export function percentHundredths(amount: bigint, spent: bigint): bigint {
  if (amount <= 0n) return 0n;
  const q = (spent * 10000n) / amount;
  return spent < 0n && q * amount !== spent * 10000n ? q - 1n : q;
}
