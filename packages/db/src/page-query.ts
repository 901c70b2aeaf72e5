import { sql, type Expression, type SqlBool } from 'kysely';

/** One page of a list in key order (docs/control-plane.md "Pages"). */
export interface PageRequest {
  /** Rows wanted (the service bounds it). */
  limit: number;
  /** The last key of the previous page: rows after it (keyset paging, no OFFSET scan). */
  after?: string | undefined;
  /** Keys containing this text (case as stored: keys are lower-case slugs). */
  search?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** The key to pass as `after` for the next page; null on the last page. */
  nextAfter: string | null;
}

/**
 * `column LIKE '%text%'` with `%`, `_` and the escape character itself escaped, spelled so SQLite
 * and MariaDB read it alike (`!` as the escape: a backslash literal differs between the two).
 */
export function containsText(column: string, text: string): Expression<SqlBool> {
  const pattern = `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '!'`;
}

/** Rows fetched with `limit + 1`: the extra row only says whether a next page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextAfter: rows.length > limit && last !== undefined ? keyOf(last) : null };
}
