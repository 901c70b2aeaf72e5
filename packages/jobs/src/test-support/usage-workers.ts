import type { Db } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { testRedisUrl } from '@aisbf/testkit';
import { createWorkers, type CreateWorkersOptions, type JobWorkers } from '../create-workers';

/** The cluster's BullMQ workers with health checks and discovery off: only usage-flush runs. */
export function startUsageWorkers(
  db: Db,
  prefix: string,
  extra: Partial<CreateWorkersOptions> = {},
): Promise<JobWorkers> {
  return createWorkers({
    url: testRedisUrl(),
    prefix,
    db,
    secretBox: createSecretBox(generateSecretKey()),
    publish: async () => undefined,
    healthEveryMs: 0,
    discoverEveryMs: 0,
    ...extra,
  });
}
