import { parseArgs } from 'node:util';
// The module itself, not the testkit index (which loads mysql2 and ioredis).
import { startMockAnthropic } from '../../packages/testkit/src/mock-anthropic';

/**
 * The strict Anthropic fake as a process for the dialect rows of `pnpm bench`:
 * `tsx test/bench/anthropic-fake.ts --key <key> --models a,b --words 60`. Prints its URL. It keeps
 * no record of requests (a load run would fill memory with them).
 */
const { values } = parseArgs({
  options: { key: { type: 'string' }, models: { type: 'string' }, words: { type: 'string', default: '60' } },
});
const fake = await startMockAnthropic({
  ...(values.key === undefined ? {} : { apiKey: values.key }),
  models: (values.models ?? 'claude-test-1').split(','),
  words: Number(values.words),
  record: false,
});
process.stdout.write(`${fake.url}\n`);
const stop = (): void => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
