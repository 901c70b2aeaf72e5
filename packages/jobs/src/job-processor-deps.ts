import type { DiscoverModelsDeps } from './discover-models.processor';
import type { HealthCheckDeps } from './health-check.processor';
import type { HealthChange } from '@aisbf/bus';
import type { ConfigChange } from '@aisbf/core';
import type { Db } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import type { HealthPolicy } from './traffic-health';

/** What the processors need, whether BullMQ workers or the all-in-one timers run them. */
export interface JobProcessorDeps {
  db: Db;
  secretBox: SecretBox;
  /** Announces committed config changes (discovery bumps the version): the snapshot publisher. */
  publish: (change: ConfigChange) => Promise<void>;
  publishHealth?: (change: HealthChange) => Promise<void>;
  fetch?: typeof fetch;
  /**
   * Fetch for user-owned providers' endpoints: the endpoint policy checked at connect time, after
   * DNS (docs/security.md; the CLI passes the data plane's guarded connector). Default: `fetch`.
   */
  userFetch?: typeof fetch;
  /** Periodic health check of every provider (default 60 s; 0 = none). */
  healthEveryMs?: number;
  /**
   * How often a provider in use is rediscovered (default 6 h; 0 = never, only on write and "Get
   * Models"). Requested by the periodic health run (docs/jobs.md "Discovery follows use"), so it
   * needs `healthEveryMs` > 0.
   */
  discoverEveryMs?: number;
  healthPolicy?: Partial<HealthPolicy>;
  onError?: (error: unknown, context: string) => void;
}

/** The discovery processor's slice of the deps: one place, so the BullMQ and in-process runners cannot drift apart. */
export const discoverDepsOf = (deps: JobProcessorDeps): DiscoverModelsDeps => ({
  db: deps.db,
  secretBox: deps.secretBox,
  publish: deps.publish,
  ...(deps.fetch ? { fetch: deps.fetch } : {}),
  ...(deps.userFetch ? { userFetch: deps.userFetch } : {}),
});

/** The health-check processor's slice of the deps (see `discoverDepsOf`). */
export const healthDepsOf = (deps: JobProcessorDeps): HealthCheckDeps => ({
  db: deps.db,
  secretBox: deps.secretBox,
  publishHealth: deps.publishHealth,
  ...(deps.fetch ? { fetch: deps.fetch } : {}),
  ...(deps.userFetch ? { userFetch: deps.userFetch } : {}),
  policy: deps.healthPolicy,
});
