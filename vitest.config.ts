import { defineConfig } from 'vitest/config';

// One suite, every package. Integration tests (*.int.test.ts, test/**) use the real MariaDB and
// Redis prepared by test/global-setup.ts; each run gets its own database name and key prefix.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
