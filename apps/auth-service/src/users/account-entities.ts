/** Entities of the accounts work (refresh tokens, password resets). */
export const accountEntities: Function[] = [];
