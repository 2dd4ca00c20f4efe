/**
 * Errors of the money library. Each has a stable `code` (never renamed once shipped; services map
 * them to 400 problem+json) and a message a person can read. `details` carries the figures
 * involved (amounts as decimal strings or minor units as strings), never a JS number of money.
 */
export class MoneyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'MoneyError';
  }
}

/** A split, its payers, or a balance computation that cannot be done as asked. */
export class SplitError extends MoneyError {
  constructor(code: SplitErrorCode, message: string, details: Readonly<Record<string, string>> = {}) {
    super(code, message, details);
    this.name = 'SplitError';
  }
  declare readonly code: SplitErrorCode;
}

/** Codes of `MoneyError`s raised when reading an amount, a rate or a weight. */
export type AmountErrorCode =
  | 'amount.invalid'
  | 'amount.too_many_places'
  | 'amount.too_large'
  | 'amount.negative'
  | 'amount.not_positive'
  | 'currency.invalid_places'
  | 'rate.invalid'
  | 'weight.invalid'
  | 'weight.zero_total'
  | 'weight.duplicate_key';

/** Codes of `SplitError`s. */
export type SplitErrorCode =
  | AmountErrorCode
  | 'split.unknown_type'
  | 'split.invalid_user'
  | 'split.no_participants'
  | 'split.duplicate_user'
  | 'split.exact_sum_mismatch'
  | 'split.percentage_sum'
  | 'split.zero_weights'
  | 'split.adjustment_exceeds_amount'
  | 'split.negative_share'
  | 'split.itemized_sum_mismatch'
  | 'split.item_no_users'
  | 'split.invalid_item'
  | 'split.no_payers'
  | 'split.duplicate_payer'
  | 'split.payer_amount_required'
  | 'split.payers_sum_mismatch'
  | 'balance.unbalanced'
  | 'balance.invalid';
