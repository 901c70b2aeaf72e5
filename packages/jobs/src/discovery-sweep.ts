import type { StoredProvider } from '@aisbf/db';
import type { DiscoverModelsPayload } from './discover-models.processor';
import { discoveryPeriod, isDiscoveryDue } from './discovery-period';

export interface DueDiscovery {
  payload: DiscoverModelsPayload;
  /** Unique per provider and period: the cluster's deduplication id, so N workers request it once. */
  key: string;
}

export interface DiscoverySweep {
  /**
   * The providers in use now (the periodic health run's list) whose discovery of this period is
   * still to be requested. Remembers what it returned, so a provider is handed out once a period
   * by this process; forgets providers no longer in use, so it holds O(providers in use).
   */
  due(inUse: ReadonlyArray<StoredProvider>, now: number): DueDiscovery[];
  /** Hands these out again on the next sweep (their request failed). */
  forget(due: ReadonlyArray<DueDiscovery>): void;
}

/** docs/jobs.md "Discovery follows use": the per-run work is O(providers in use), never O(providers). */
export function createDiscoverySweep(everyMs: number): DiscoverySweep {
  let requested = new Map<string, number>();
  return {
    due(inUse, now) {
      const next = new Map<string, number>();
      const out: DueDiscovery[] = [];
      for (const provider of inUse) {
        const name = `${provider.ownerId ?? ''}/${provider.id}`;
        const { index } = discoveryPeriod(provider.ownerId, provider.id, now, everyMs);
        if (requested.get(name) === index) {
          next.set(name, index);
          continue;
        }
        if (!isDiscoveryDue(provider, now, everyMs)) continue;
        next.set(name, index);
        out.push({
          payload: { ownerId: provider.ownerId, providerId: provider.id },
          key: `discover-periodic:${provider.ownerId ?? 'global'}:${provider.id}:${index}`,
        });
      }
      requested = next;
      return out;
    },
    forget(due) {
      for (const { payload } of due) requested.delete(`${payload.ownerId ?? ''}/${payload.providerId}`);
    },
  };
}
