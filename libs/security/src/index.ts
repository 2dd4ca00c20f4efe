export * from './jwt';
export * from './signing-keys';
export * from './jwks-key-source';
export * from './token-cache';
export * from './guard';
export * from './secret-box';
export * from './push-endpoints';
