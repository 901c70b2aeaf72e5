import { z } from 'zod';

/** docs/architecture.md "Data plane API": ids are slugs `[a-z0-9][a-z0-9._:-]{0,63}`. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

export const isSlug = (value: string): boolean => SLUG_PATTERN.test(value);

export const slugSchema = z
  .string()
  .regex(
    SLUG_PATTERN,
    'must be a slug: lowercase letters, digits, ".", "_", ":" or "-", at most 64, starting with a letter or digit',
  );

/**
 * The one spelling of a username, applied at creation and at login: NFKC, trimmed, lower case. A
 * database may compare names more loosely (MariaDB's default collation ignores case, accents and
 * trailing spaces), so whoever looks a user up by name also checks the row's name is this exactly.
 */
export const normalizeUsername = (name: string): string => name.normalize('NFKC').trim().toLowerCase();

/** Usernames are normalised slugs, so they can stand in a URL path unescaped. */
export const usernameSchema = z.string().max(256).transform(normalizeUsername).pipe(slugSchema);
