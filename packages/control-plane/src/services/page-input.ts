import { isSlug } from '@aisbf/core';
import type { PageRequest } from '@aisbf/db';
import { z } from 'zod';
import { ValidationError, parseOrThrow } from './validation-error';

/** Largest page any list returns (docs/control-plane.md "Pages"). */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** What every paged list takes: how many, after which cursor, and a text the key must contain. */
export const pageInputSchema = z.object({
  first: z.number().int().min(1).max(MAX_PAGE_SIZE).nullish(),
  after: z.string().max(400).nullish(),
  search: z.string().max(64).nullish(),
});
export type PageInput = z.infer<typeof pageInputSchema>;

/** One page: the items and the cursor of the next page (null on the last). */
export interface PageView<T> {
  items: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to callers: the last key of the page, base64url. */
export const encodeCursor = (key: string | null): string | null =>
  key === null ? null : Buffer.from(key, 'utf8').toString('base64url');

/** Validates a page's arguments (BAD_REQUEST naming the field) and turns them into the db's request. */
export function toPageRequest(input: PageInput | undefined): PageRequest {
  const page = parseOrThrow(pageInputSchema, input ?? {});
  let after: string | undefined;
  if (page.after !== null && page.after !== undefined) {
    after = Buffer.from(page.after, 'base64url').toString('utf8');
    // Every key paged on is a slug; anything else was not a cursor this API gave out.
    if (!isSlug(after)) throw new ValidationError([{ path: 'after', message: 'not a cursor of this list' }]);
  }
  const search = page.search?.trim().toLowerCase();
  return { limit: page.first ?? DEFAULT_PAGE_SIZE, after, search: search === '' ? undefined : search };
}
