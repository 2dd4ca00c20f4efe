export * from './jwt';
export * from './guard';
export * from './secret-box';
