import { GatewayError } from '@aisbf/core';
import {
  DEFAULT_USAGE_GROUP_LIMIT,
  findUserByUsername,
  MAX_USAGE_GROUP_LIMIT,
  findUsernames,
  listUsageRequests,
  queryUsage,
  type UsageGroupBy,
  type UsageReport,
  type UsageRequestRow,
} from '@aisbf/db';
import { z } from 'zod';
import { isAdmin, type Actor } from './actor';
import type { ServiceContext } from './service-deps';
import { parseOrThrow } from './validation-error';
import { iso } from './views';

export const usageQuerySchema = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  groupBy: z.enum(['route', 'provider', 'model', 'token', 'user']).optional(),
  route: z.string().max(400).optional(),
  provider: z.string().max(64).optional(),
  token: z.string().max(64).optional(),
  /** Admins only: one user's usage (username). */
  user: z.string().max(64).optional(),
  bucket: z.enum(['hour', 'day']).optional(),
  /** How many of the newest requests `recent` lists. */
  limit: z.number().int().min(1).max(500).optional(),
  /** What ranks the groups (docs/usage.md "Usage queries"). */
  groupOrder: z.enum(['requests', 'tokens', 'cost']).optional(),
  /** How many groups to list; the rest are summed into `others`. */
  groupLimit: z.number().int().min(1).max(MAX_USAGE_GROUP_LIMIT).optional(),
});
export type UsageQueryInput = z.input<typeof usageQuerySchema>;

/** The request view: filters, and an opaque cursor for the next (older) page. */
export const usageRequestsSchema = z.object({
  user: z.string().max(64).optional(),
  token: z.string().max(64).optional(),
  route: z.string().max(400).optional(),
  provider: z.string().max(64).optional(),
  status: z.union([z.enum(['ok', 'error']), z.number().int().min(100).max(599)]).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  cursor: z
    .string()
    .max(200)
    .regex(/^\d+:[A-Za-z0-9_-]+$/, 'not a cursor this API returned')
    .optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type UsageRequestsInput = z.input<typeof usageRequestsSchema>;
export type UsageRequestView = Omit<UsageRequestRow, 'at'> & { at: string; username: string | null };

export type UsageView = Omit<UsageReport, 'recent' | 'series'> & {
  series: Array<Omit<UsageReport['series'][number], 't'> & { t: string }>;
  recent: Array<Omit<UsageReport['recent'][number], 'at'> & { at: string }>;
};

export function createUsageService(ctx: ServiceContext) {
  const { db } = ctx;

  /**
   * Whose rows a query reads: a user their own; an admin everyone's, or the named user's (an unknown
   * name matches no row). One lookup by the unique username index, never the whole users table
   * (docs/dashboard.md "Lists at scale").
   */
  const userFilter = async (actor: Actor, user: string | undefined): Promise<string | undefined> => {
    if (!isAdmin(actor)) return actor.userId;
    if (user === undefined) return undefined;
    return (await findUserByUsername(db, user))?.id ?? '-';
  };

  return {
    /**
     * Requests newest first with their attempts trail (which entries were tried, each one's outcome
     * and status, what served, cache). Users see their own; admins everyone's, or one user's.
     */
    async requests(
      actor: Actor,
      input: UsageRequestsInput = {},
    ): Promise<{ rows: UsageRequestView[]; nextCursor: string | null }> {
      const q = parseOrThrow(usageRequestsSchema, input);
      if (!isAdmin(actor) && q.user !== undefined && q.user !== actor.username)
        throw new GatewayError('FORBIDDEN', "only admins may read another user's requests", { path: 'user' });
      const userId = await userFilter(actor, q.user);
      const [at, id] = q.cursor === undefined ? [] : q.cursor.split(':');
      const page = await listUsageRequests(db, {
        ...(userId !== undefined ? { userId } : {}),
        ...(q.token !== undefined ? { tokenId: q.token } : {}),
        ...(q.route !== undefined ? { route: q.route } : {}),
        ...(q.provider !== undefined ? { provider: q.provider } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.from !== undefined ? { from: q.from.getTime() } : {}),
        ...(q.to !== undefined ? { to: q.to.getTime() } : {}),
        ...(at !== undefined && id !== undefined ? { before: { at: Number(at), id } } : {}),
        limit: q.limit,
      });
      const names = isAdmin(actor)
        ? await findUsernames(
            db,
            page.rows.map((r) => r.userId),
          )
        : new Map<string, string>();
      return {
        rows: page.rows.map((r) => ({
          ...r,
          at: iso(r.at),
          username: r.userId === actor.userId ? actor.username : (names.get(r.userId) ?? null),
        })),
        nextCursor: page.next === null ? null : `${page.next.at}:${page.next.id}`,
      };
    },

    /** Users see their own usage; admins everyone's (or one user's). Default window: the last 24 h. */
    async query(actor: Actor, input: UsageQueryInput = {}): Promise<UsageView> {
      const q = parseOrThrow(usageQuerySchema, input);
      if (!isAdmin(actor) && q.user !== undefined && q.user !== actor.username)
        throw new GatewayError('FORBIDDEN', "only admins may read another user's usage", { path: 'user' });
      const userId = await userFilter(actor, q.user);
      const to = q.to?.getTime() ?? ctx.clock() + 1;
      const from = q.from?.getTime() ?? to - 24 * 3_600_000;
      const report = await queryUsage(db, {
        from,
        to,
        ...(userId !== undefined ? { userId } : {}),
        ...(q.token !== undefined ? { tokenId: q.token } : {}),
        ...(q.route !== undefined ? { route: q.route } : {}),
        ...(q.provider !== undefined ? { provider: q.provider } : {}),
        ...(q.groupBy !== undefined ? { groupBy: q.groupBy as UsageGroupBy } : {}),
        ...(q.groupOrder !== undefined ? { groupOrder: q.groupOrder } : {}),
        groupLimit: q.groupLimit ?? DEFAULT_USAGE_GROUP_LIMIT,
        bucket: q.bucket ?? 'hour',
        recentLimit: q.limit ?? 50,
      });
      const names =
        q.groupBy === 'user'
          ? await findUsernames(
              db,
              report.groups.map((g) => g.key),
            )
          : new Map<string, string>();
      return {
        totals: report.totals,
        series: report.series.map((p) => ({ ...p, t: iso(p.t) })),
        groups:
          q.groupBy === 'user' ? report.groups.map((g) => ({ ...g, key: names.get(g.key) ?? g.key })) : report.groups,
        others: report.others,
        recent: report.recent.map((r) => ({ ...r, at: iso(r.at) })),
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
