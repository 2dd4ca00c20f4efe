/** Entities of the admin module (system configurations). */
export const adminEntities: Function[] = [];
