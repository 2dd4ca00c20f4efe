export * from './problem';
export * from './validation';
export * from './runtime';
export * from './identity-projections';
export * from './kit.module';
export * from './bootstrap';
export * from './pagination';
export * from './entrypoints';
