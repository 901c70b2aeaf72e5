/**
 * The testkit's one reader of the environment (docs/conventions.md: config is read once, at the edge).
 * Read on first use, not at import: test/global-setup.ts sets the run id before workers start.
 */
export interface TestEnv {
  /** Names this run's databases and Redis prefixes (AISBF_TEST_RUN_ID). */
  runId: string;
  /** MariaDB base URL for integration tests (AISBF_TEST_MYSQL_URL). */
  mysqlUrl: string;
  /** Redis URL for integration tests (AISBF_TEST_REDIS_URL). */
  redisUrl: string;
  /**
   * Requests the usage-under-load test sends through `aisbf start` (AISBF_TEST_USAGE_REQUESTS,
   * default 2000 so the suite fits CI; 10000 is the acceptance figure, run locally).
   */
  usageLoadRequests: number;
}

let cached: Readonly<TestEnv> | null = null;

export function testEnv(): Readonly<TestEnv> {
  cached ??= Object.freeze({
    runId: process.env['AISBF_TEST_RUN_ID'] ?? 'local',
    mysqlUrl: process.env['AISBF_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
    redisUrl: process.env['AISBF_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    usageLoadRequests: Number(process.env['AISBF_TEST_USAGE_REQUESTS'] ?? 2000),
  });
  return cached;
}

/** The environment a spawned test service inherits when its caller names none. */
export const inheritedEnv = (): NodeJS.ProcessEnv => process.env;
