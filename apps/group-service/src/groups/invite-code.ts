import { randomInt } from 'node:crypto';

/** Digits and capitals without 0/O, 1/I/L: nothing to misread when a code is read aloud or typed. */
export const INVITE_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const INVITE_CODE_LENGTH = 12;

/** 12 characters from 31, each from the CSPRNG: about 59 bits, unguessable at any request rate the gateway allows. */
export function newInviteCode(): string {
  let code = '';
  for (let i = 0; i < INVITE_CODE_LENGTH; i++) code += INVITE_CODE_ALPHABET[randomInt(INVITE_CODE_ALPHABET.length)];
  return code;
}

/** A code as a person may type it: any case, with spaces or dashes; `undefined` when it cannot be one. */
export function normalizeInviteCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== INVITE_CODE_LENGTH) return undefined;
  for (const ch of code) if (!INVITE_CODE_ALPHABET.includes(ch)) return undefined;
  return code;
}
