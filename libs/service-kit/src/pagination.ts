import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DomainException } from './problem';

export class PageQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 20;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * Cursor pagination: `?limit=&cursor=`; the answer's `nextCursor` (null on the last page) is passed
 * back as `cursor` for the next page. A cursor is opaque to clients (base64url of the last row's
 * sort key), so new rows never shift a page the way an offset does.
 */
export class CursorQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 20;

  @IsOptional() @IsString() @MaxLength(200) @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a nextCursor from a previous page' })
  cursor?: string;
}

export interface CursorPage<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null when this is the last one. */
  nextCursor: string | null;
  limit: number;
}

/** The sort key of the last row of a page: a time and an id (newest first, ties by id). */
export interface TimeIdCursor {
  at: Date;
  id: string;
}

const CURSOR_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(c: TimeIdCursor): string {
  return Buffer.from(JSON.stringify([c.at.toISOString(), c.id]), 'utf8').toString('base64url');
}

/** The cursor's key, or a 400 problem (`INVALID_CURSOR`) when it is not one this API made. */
export function decodeCursor(cursor: string | undefined): TimeIdCursor | undefined {
  if (cursor === undefined) return undefined;
  const bad = () => new DomainException('INVALID_CURSOR', 'cursor must be a nextCursor from a previous page.', 400);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') throw bad();
  const at = new Date(parsed[0]);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== parsed[0] || !CURSOR_UUID.test(parsed[1])) throw bad();
  return { at, id: parsed[1] };
}

/**
 * A page from `limit + 1` rows fetched in order: the extra row only says there is a next page.
 */
export function cursorPage<R, T>(rows: R[], limit: number, key: (r: R) => TimeIdCursor, view: (r: R) => T): CursorPage<T> {
  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit && page.length ? encodeCursor(key(page[page.length - 1])) : null;
  return { items: page.map(view), nextCursor, limit };
}
