export * from './envelope';
export * from './topics';
export * from './queues';
export * from './events';
export * from './services';
export * from './asyncapi';
export * from './currency';
export * from './currencies.data';
