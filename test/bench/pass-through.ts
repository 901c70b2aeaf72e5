import { parseArgs } from 'node:util';
// The module itself, not the testkit index (which loads mysql2 and ioredis): the baseline's RSS is a proxy's.
import { startPassThroughProxy } from '../../packages/testkit/src/pass-through-proxy';

/**
 * The benchmark's honest baseline as a process: `tsx test/bench/pass-through.ts --upstream <url>`.
 * It reads the body, parses the JSON, forwards it with an undici pool and streams the answer back
 * (the implementation lives in @aisbf/testkit so tests can use it in-process). Prints its URL.
 */
const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    'api-key': { type: 'string' },
    'forward-headers': { type: 'string', default: '' },
  },
});
if (values.upstream === undefined) {
  process.stderr.write('pass-through: --upstream <base url> is required\n');
  process.exit(2);
}
const proxy = await startPassThroughProxy({
  upstream: values.upstream,
  port: Number(values.port),
  ...(values['api-key'] === undefined ? {} : { apiKey: values['api-key'] }),
  forwardHeaders: values['forward-headers'].split(',').filter((h) => h !== ''),
});
process.stdout.write(`${proxy.url}\n`);
const stop = (): void => {
  void proxy.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
