/** A share a settlement may pay, with what is still open of it (minor units, > 0). */
export interface OpenShare {
  shareId: string;
  expenseId: string;
  open: bigint;
}

export interface Allocation {
  shareId: string;
  expenseId: string;
  amount: bigint;
}

/**
 * Pays `amount` into `shares` in the order given (the caller's order is the rule: the payee's shares
 * first, then oldest first): each share gets the least of what is left of the amount and what is open
 * of the share, until the amount runs out. Whatever is left over pays nothing (the payer paid more than
 * these shares): it still moves the balances. Exact: bigint minor units.
 */
export function allocateInOrder(amount: bigint, shares: readonly OpenShare[]): Allocation[] {
  const out: Allocation[] = [];
  let left = amount;
  for (const s of shares) {
    if (left <= 0n) break;
    if (s.open <= 0n) continue;
    const paid = s.open < left ? s.open : left;
    out.push({ shareId: s.shareId, expenseId: s.expenseId, amount: paid });
    left -= paid;
  }
  return out;
}
