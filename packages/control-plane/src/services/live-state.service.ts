import { indexSnapshot, type IndexedEntry, type UsageAttempt } from '@aisbf/core';
import {
  listModelHealth,
  listProviderHealth,
  listProviders,
  listUsageRequests,
  loadSnapshot,
  type StoredProvider,
} from '@aisbf/db';
import type { Actor } from './actor';
import { resolveOwner } from './owner-scope';
import type { ServiceContext } from './service-deps';
import type { OpenCooldownInfo } from '../ports';
import { iso, isoOrNull } from './views';

/**
 * `half-open`: judged unhealthy, but its evidence is older than the entry's `error_cooldown`, so
 * the next live request probes it (docs/reliability.md "Health").
 */
export type LiveHealthState = 'healthy' | 'unhealthy' | 'half-open' | 'unknown';

export interface LiveHealth {
  state: LiveHealthState;
  /** When the health job last judged it (its last probe or traffic check). */
  checkedAt: string | null;
  /** Unhealthy: the newest evidence; the entry is skipped until `since` + its error_cooldown. */
  since: string | null;
  error: string | null;
}

export interface LiveCooldown {
  until: string;
  openedAt: string;
  /** What the recorded requests say about the failures before it opened. */
  reason: string;
}

export interface LiveEntry {
  index: number;
  /** A provider entry's provider and model; null for a route entry. */
  providerId: string | null;
  model: string | null;
  /** A route entry (another rotation or an autoselect). */
  route: string | null;
  /** Why the entry can never serve (missing or disabled provider); null when usable. */
  problem: string | null;
  errorCooldownS: number;
  cooldown: LiveCooldown | null;
  /** Provider entries only: the provider as a whole (connection-level faults) and this model. */
  health: { provider: LiveHealth; model: LiveHealth } | null;
}

export interface LiveRotation {
  id: string;
  scope: 'user' | 'global';
  entries: LiveEntry[];
}

export interface LiveState {
  at: string;
  /** False when the cooldown store could not be read (Redis away): cooldowns are then unknown. */
  cooldownsKnown: boolean;
  rotations: LiveRotation[];
}

/** Attempts scanned for a cooldown's reason: the requests of the last minutes before it opened. */
const REASON_WINDOW_MS = 10 * 60_000;
/** A request that opened a cooldown may end (and be recorded) after it, up to its total budget. */
const REASON_AFTER_MS = 2 * 60_000;
const REASON_ROWS = 200;

const describeAttempt = (a: UsageAttempt): string =>
  a.status === null ? `${a.outcome} (no HTTP answer)` : `${a.outcome}, HTTP ${a.status}`;

/**
 * The live state of rotation entries (docs/dashboard.md "/rotations"): open cooldowns from the shared
 * store, health from the health job's verdicts, keyed exactly as the data plane keys them (the
 * routing index built from the same snapshot).
 */
export function createLiveStateService(ctx: ServiceContext) {
  const { db } = ctx;

  async function reasonFor(entry: IndexedEntry, cooldown: OpenCooldownInfo): Promise<string> {
    const target = entry.target;
    if (target === null) return 'unknown';
    // A user's provider only serves that user's requests; a global one anyone's.
    const ownerId = target.provider.ownerId;
    const { rows } = await listUsageRequests(db, {
      ...(ownerId === null ? {} : { userId: ownerId }),
      from: cooldown.openedAt - REASON_WINDOW_MS,
      to: cooldown.openedAt + REASON_AFTER_MS,
      limit: REASON_ROWS,
    });
    const failed: UsageAttempt[] = [];
    for (const row of rows)
      for (const a of row.attempts)
        if (a.provider === target.provider.id && a.model === target.model && a.outcome !== 'ok') failed.push(a);
    const last = failed[0];
    if (last === undefined) return 'no failed attempt recorded yet (requests are recorded in batches)';
    const count = failed.length === 1 ? '1 failed attempt' : `${failed.length} failed attempts`;
    return `${count} in the requests before it opened; last: ${describeAttempt(last)}`;
  }

  return {
    /**
     * Every rotation of the scope (as `rotations.list` lists them: the caller's own scope includes
     * the global ones), each entry with its open cooldown and health.
     */
    async rotations(actor: Actor, input: { owner?: string | null } = {}): Promise<LiveState> {
      const scope = await resolveOwner(db, actor, input.owner);
      const now = ctx.clock();
      const index = indexSnapshot(await loadSnapshot(db));
      const wanted = [...index.rotations.values()].filter(
        (r) => r.ownerId === scope.ownerId || (scope.ownerId === actor.userId && r.ownerId === null),
      );
      let cooldownsKnown = true;
      let open: OpenCooldownInfo[] = [];
      try {
        open = (await ctx.cooldowns?.open()) ?? [];
      } catch (error) {
        cooldownsKnown = false;
        ctx.onError?.(error, 'read cooldowns');
      }
      const cooldownByKey = new Map(open.filter((c) => c.until > now).map((c) => [c.key, c] as const));
      let marks: Awaited<ReturnType<NonNullable<typeof ctx.healthMarks>['all']>> = [];
      try {
        marks = (await ctx.healthMarks?.all()) ?? [];
      } catch (error) {
        ctx.onError?.(error, 'read health marks');
      }
      const sinceOf = new Map(
        marks.map((m) => [`${m.providerOwnerId ?? ''}/${m.providerId}/${m.model ?? ''}`, m.since ?? m.at] as const),
      );

      // Health rows are keyed by the provider's row id; the snapshot knows (owner, id). Only the
      // providers these rotations use are read.
      const used = new Set<string>();
      for (const rotation of wanted)
        for (const entry of rotation.entries)
          if (entry.target !== null) used.add(`${entry.target.provider.ownerId ?? ''}/${entry.target.provider.id}`);
      const providers = (await listProviders(db)).filter((p) => used.has(`${p.ownerId ?? ''}/${p.id}`));
      const rowOf = new Map<string, StoredProvider>(providers.map((p) => [`${p.ownerId ?? ''}/${p.id}`, p] as const));
      const rowIds = providers.map((p) => p.rowId);
      const [providerHealth, modelHealth] = await Promise.all([
        listProviderHealth(db, rowIds),
        listModelHealth(db, rowIds),
      ]);

      const live = (
        verdict: { status: 'healthy' | 'unhealthy' | 'unknown'; checkedAt: number | null; error: string | null },
        since: number | undefined,
        errorCooldownS: number,
      ): LiveHealth => {
        const evidence = verdict.status === 'unhealthy' ? (since ?? verdict.checkedAt) : null;
        const state: LiveHealthState =
          verdict.status === 'unhealthy' && evidence !== null && evidence + errorCooldownS * 1000 <= now
            ? 'half-open'
            : verdict.status;
        return {
          state,
          checkedAt: isoOrNull(verdict.checkedAt),
          since: isoOrNull(evidence),
          error: verdict.error,
        };
      };

      const rotations: LiveRotation[] = [];
      for (const rotation of wanted) {
        const entries: LiveEntry[] = [];
        for (const [i, entry] of rotation.entries.entries()) {
          const e = entry.entry;
          const target = entry.target;
          const cooldown = target === null ? undefined : cooldownByKey.get(target.key);
          let health: LiveEntry['health'] = null;
          if (target !== null) {
            const owner = target.provider.ownerId ?? '';
            const row = rowOf.get(`${owner}/${target.provider.id}`);
            const p = row === undefined ? undefined : providerHealth.get(row.rowId);
            const m = row === undefined ? undefined : modelHealth.get(row.rowId)?.get(target.model);
            const unknown = { status: 'unknown' as const, checkedAt: null, error: null };
            health = {
              provider: live(p ?? unknown, sinceOf.get(`${owner}/${target.provider.id}/`), e.errorCooldownS),
              model: live(
                m ?? unknown,
                sinceOf.get(`${owner}/${target.provider.id}/${target.model}`),
                e.errorCooldownS,
              ),
            };
          }
          entries.push({
            index: i,
            providerId: e.kind === 'provider' ? e.providerId : null,
            model: e.kind === 'provider' ? e.model : null,
            route: e.kind === 'route' ? e.route : null,
            problem: entry.problem,
            errorCooldownS: e.errorCooldownS,
            cooldown:
              cooldown === undefined
                ? null
                : {
                    until: iso(cooldown.until),
                    openedAt: iso(cooldown.openedAt),
                    reason: await reasonFor(entry, cooldown),
                  },
            health,
          });
        }
        rotations.push({ id: rotation.id, scope: rotation.ownerId === null ? 'global' : 'user', entries });
      }
      return { at: iso(now), cooldownsKnown, rotations };
    },
  };
}

export type LiveStateService = ReturnType<typeof createLiveStateService>;
