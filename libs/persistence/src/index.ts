export * from './orm';
export * from './transaction';
export { MikroORM, EntityManager } from '@mikro-orm/postgresql';
export * from './pg-listener';
