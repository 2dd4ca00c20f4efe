export * from './orm';
export { MikroORM, EntityManager } from '@mikro-orm/postgresql';
