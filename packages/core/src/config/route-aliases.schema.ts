import { z } from 'zod';

/**
 * `aliases` on a rotation or an autoselect (docs/clients.md "Route aliases"): model names a client
 * sends on its own (Codex sends `gpt-…`, Claude Code `claude-…`) that reach this route. An alias
 * is an exact name, or a prefix ending in `*` (`claude-*`; `*` alone takes any name no route has).
 */
export const routeAliasSchema = z
  .string()
  .min(1, 'an alias must not be empty')
  .max(200)
  .regex(/^[^\s*]*\*?$/, 'an alias holds no spaces and at most one `*`, at its end');

export const routeAliasesSchema = z.array(routeAliasSchema).max(64, 'at most 64 aliases per route');
