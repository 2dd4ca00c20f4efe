export * from './errors';
export * from './money';
export type { Rounding } from './decimal';
export * from './allocate';
export * from './splits';
export * from './balances';
export * from './simplify';
export * from './convert';
export * from './schedule';
