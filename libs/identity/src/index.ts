export * from './schema';
export * from './identity.entities';
export * from './identity.repository';
export * from './identity.handlers';
export * from './identity.sources';
export * from './identity.module';
