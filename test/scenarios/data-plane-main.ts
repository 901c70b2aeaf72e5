import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import type { Snapshot, UsageEvent, UsageSink } from '../../packages/core/src/index';
import { createDataPlane } from '../../packages/data-plane/src/index';
import { createSecretBox } from '../../packages/secrets/src/index';

/**
 * The real data plane as a process, from a JSON snapshot file, for the fault scorecard (through
 * tsx) and the benchmark (bundled, see test/bench/run.ts): `tsx test/scenarios/data-plane-main.ts --snapshot s.json --secret-key K
 * [--usage-file u.jsonl] [--port 0] [--log-level error] [--max-body-bytes N] [--upstream-connections N]`. Prints its origin.
 * Usage events are appended to the usage file as JSON lines so tests can assert on them.
 */
const { values } = parseArgs({
  options: {
    snapshot: { type: 'string' },
    'secret-key': { type: 'string' },
    'usage-file': { type: 'string' },
    port: { type: 'string', default: '0' },
    'log-level': { type: 'string', default: 'warn' },
    'max-body-bytes': { type: 'string' },
    'upstream-connections': { type: 'string' },
  },
});
if (values.snapshot === undefined || values['secret-key'] === undefined) {
  process.stderr.write('data-plane-main: --snapshot <file> and --secret-key <key> are required\n');
  process.exit(2);
}

const snapshot = JSON.parse(await readFile(values.snapshot, 'utf8')) as Snapshot;
const usageOut = values['usage-file'] === undefined ? null : createWriteStream(values['usage-file'], { flags: 'a' });
const usageSink: UsageSink = {
  emit: (event: UsageEvent) => {
    usageOut?.write(`${JSON.stringify(event)}\n`);
  },
  flush: () => Promise.resolve(),
  close: () => new Promise<void>((resolve) => (usageOut ? usageOut.end(resolve) : resolve())),
};
// Logs go to stderr: stdout carries the origin line the harness waits for. pino is a root
// dependency (the bundled CLI loads it from there too), so this also runs as a bundle.
const logger = pino({ level: values['log-level'] }, destination(2));

const maxBody = values['max-body-bytes'] === undefined ? undefined : Number(values['max-body-bytes']);
const upstreamConnections =
  values['upstream-connections'] === undefined ? undefined : Number(values['upstream-connections']);
const dataPlane = createDataPlane({
  secretBox: createSecretBox(values['secret-key']),
  usageSink,
  logger,
  ...(maxBody !== undefined ? { limits: { maxBodyBytes: maxBody } } : {}),
  ...(upstreamConnections !== undefined ? { upstreamConnections } : {}),
});
dataPlane.setSnapshot(snapshot);

const server = createServer((req, res) => {
  if (!dataPlane.handle(req, res)) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      '{"error":{"message":"not a data-plane path","type":"invalid_request_error","code":"not_found","param":null}}',
    );
  }
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(Number(values.port), '127.0.0.1', resolve));
process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);

const stop = (): void => {
  server.closeAllConnections();
  server.close();
  void dataPlane
    .close()
    .then(() => usageSink.close())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
