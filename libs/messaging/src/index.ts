export * from './bus';
export * from './kafka-bus';
export * from './outbox';
export * from './relay';
export * from './consumer';
export * from './validation';
export * from './schema.sql';
export * from './topics-setup';
