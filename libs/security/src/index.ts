export * from './jwt';
export * from './guard';
