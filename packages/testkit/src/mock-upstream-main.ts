import { parseArgs } from 'node:util';
import { startMockUpstream } from './mock-upstream';

/**
 * The mock upstream as a process, for tests that run it out of process:
 * `tsx packages/testkit/src/mock-upstream-main.ts --port 0 [--models m1,m2] [--words 60]`.
 * Prints its base URL as the first stdout line; scripted through POST /__mock/{enqueue,default,reset}
 * and GET /__mock/requests. Stops on SIGTERM/SIGINT.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    models: { type: 'string', default: 'm1' },
    words: { type: 'string', default: '60' },
    'chunk-delay-ms': { type: 'string', default: '0' },
    'api-key': { type: 'string' },
  },
});

const numberArg = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`mock-upstream: --${name} must be a non-negative integer, got "${value}"\n`);
    process.exit(2);
  }
  return n;
};

const mock = await startMockUpstream({
  port: numberArg('port', values.port),
  host: values.host,
  models: values.models
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== ''),
  words: numberArg('words', values.words),
  chunkDelayMs: numberArg('chunk-delay-ms', values['chunk-delay-ms']),
  ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
});
process.stdout.write(`${mock.url}\n`);

const stop = (): void => {
  void mock.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
