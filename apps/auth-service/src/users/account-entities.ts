import { PasswordReset, RefreshToken } from './account.entities';

/** Entities of the accounts work (refresh tokens, password resets). */
export const accountEntities: Function[] = [RefreshToken, PasswordReset];
