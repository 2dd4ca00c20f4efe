/**
 * Projections of other services' aggregates that several services keep the same way: group
 * memberships (group-service's membership.*) and friendships (auth's friendship.*). Each service
 * creates the tables in its own migrations (the DDL is in each repository's comment); this library
 * holds the one repository and the event handlers that keep them.
 */
export * from './membership-projection.repository';
export * from './membership-projection.handlers';
export * from './friendship-projection.repository';
export * from './friendship-projection.handlers';
export * from './projections.module';
