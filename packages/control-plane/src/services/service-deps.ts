import type { ConfigChange } from '@aisbf/core';
import { withConfigChange, type Db } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import type { ConfigPublisher, CooldownSource, HealthMarkSource, JobRunner, NodeInfo } from '../ports';
import type { EndpointWriteCheck } from './endpoint-write-check';

export interface ServiceDeps {
  db: Db;
  secretBox: SecretBox;
  publisher: ConfigPublisher;
  jobs: JobRunner;
  /**
   * Endpoint policy for user-owned providers, checked at write time
   * (docs/endpoint-policy.md); absent or null = not enforced.
   */
  endpointCheck?: EndpointWriteCheck | null;
  /** Used by providers.test (the model-list probe). */
  fetch?: typeof fetch;
  /** The same probe for user-owned providers: the endpoint policy checked at connect time (docs/security.md). */
  userFetch?: typeof fetch;
  now?: () => number;
  mode?: 'all-in-one' | 'cluster';
  /** Data-plane nodes as seen by the bus (cluster mode). */
  listNodes?: () => Promise<NodeInfo[]>;
  /** Open cooldowns as the data planes share them (rotations.liveState); absent = none shown. */
  cooldowns?: CooldownSource;
  /** The health job's verdicts with their evidence time (rotations.liveState's half-open). */
  healthMarks?: HealthMarkSource;
  /** A publish failure after a commit is reported here, never to the caller: the change is committed. */
  onError?: (error: unknown, context: string) => void;
}

export interface ServiceContext extends ServiceDeps {
  clock: () => number;
  /**
   * Runs `fn` in one transaction with the version bump, then publishes one change per touched
   * resource. Nothing is published when `fn` throws (the transaction rolled back). Every change
   * names its owner: a change without one would make the publisher rewrite every part
   * (docs/cluster.md "Control-plane cost").
   */
  commit<T>(fn: (trx: Db) => Promise<{ value: T; changes: CommittedChange[] }>): Promise<T>;
}

/** A change as a service commits it: its owner (a user id, or null for global) is required. */
export type CommittedChange = Omit<ConfigChange, 'version' | 'owner'> & { owner: string | null };

export function createServiceContext(deps: ServiceDeps): ServiceContext {
  const clock = deps.now ?? Date.now;
  return {
    ...deps,
    clock,
    async commit(fn) {
      const { value, version } = await withConfigChange(deps.db, fn, {
        now: clock(),
        ownersOf: (result) => result.changes.map((c) => c.owner),
      });
      for (const change of value.changes) {
        try {
          await deps.publisher.publish({ ...change, version });
        } catch (error) {
          deps.onError?.(error, `publish ${change.kind} ${change.id}`);
        }
      }
      return value.value;
    },
  };
}
