import { z } from 'zod';

/** DESIGN.md §2: ids are slugs `[a-z0-9][a-z0-9._:-]{0,63}`. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

export const isSlug = (value: string): boolean => SLUG_PATTERN.test(value);

export const slugSchema = z
  .string()
  .regex(
    SLUG_PATTERN,
    'must be a slug: lowercase letters, digits, ".", "_", ":" or "-", at most 64, starting with a letter or digit',
  );

/** Usernames follow the same rule so they can stand in a URL path unescaped. */
export const usernameSchema = slugSchema;
