/**
 * Paging, the same on every list route: `limit` (default and maximum in schemas.ts) and an opaque
 * `cursor`, which is the route's name and the last item's key, base64url-encoded. A cursor of
 * another route, or any other text, is refused with a 400 that says so.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';

/** Which list a cursor belongs to. */
export type CursorKind = 'nodes' | 'usages' | 'audit' | 'listings' | 'installs';

/** The cursor that continues `kind` after `key`. */
export function encodeCursor(kind: CursorKind, key: string): string {
  return Buffer.from(JSON.stringify([kind, key]), 'utf8').toString('base64url');
}

/**
 * The key a cursor continues after, or `undefined` without a cursor.
 * @throws InvalidInputError when the cursor is not one this route gave out.
 */
export function decodeCursor(kind: CursorKind, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]+$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || parsed[0] !== kind || typeof parsed[1] !== 'string') {
    throw new InvalidInputError('invalid cursor', 'the cursor is not one this list gave out', {
      context: { list: kind },
      hint: 'pass the `nextCursor` of the previous page of the same list unchanged, or leave `cursor` out to start over',
    });
  }
  return parsed[1];
}

/** Slices a sorted list after `after` (by `keyOf`) into one page and the cursor of the next. */
export function pageOf<T>(kind: CursorKind, items: readonly T[], keyOf: (item: T) => string, after: string | undefined, limit: number): { page: T[]; nextCursor: string | null } {
  const rest = after === undefined ? items : items.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, limit);
  const nextCursor = rest.length > limit ? encodeCursor(kind, keyOf(page[page.length - 1]!)) : null;
  return { page, nextCursor };
}
