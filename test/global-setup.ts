import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { dropRunDatabases, flushRunKeys } from '../packages/testkit/src/test-resources';

/**
 * One id per `vitest run`: every MariaDB database this run creates is `aisbf_t_<runId>_*` and every
 * Redis key starts with `aisbf_t_<runId>:`. Teardown drops both, so runs never see each other.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = process.env['AISBF_TEST_RUN_ID'] ?? randomBytes(4).toString('hex');
  const mysqlUrl = process.env['AISBF_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
  const redisUrl = process.env['AISBF_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  process.env['AISBF_TEST_RUN_ID'] = runId;
  process.env['AISBF_TEST_MYSQL_URL'] = mysqlUrl;
  process.env['AISBF_TEST_REDIS_URL'] = redisUrl;
  project.provide('aisbfTestRunId', runId);
  return async () => {
    await dropRunDatabases(mysqlUrl, runId);
    await flushRunKeys(redisUrl, runId);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    aisbfTestRunId: string;
  }
}
