import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startBackgroundLoad } from './background-load';
import { scaleToken } from './scale-seed';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A stand-in node: answers `status`, and remembers each request's bearer token. */
async function node(status: number): Promise<{ url: string; tokens: string[] }> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    tokens.push((req.headers.authorization ?? '').replace('Bearer ', ''));
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tokens };
}

it('serves the served users on every node until stopped, and counts what it got', async () => {
  const [a, b] = [await node(200), await node(503)];
  const seed = 'seed';
  const load = await startBackgroundLoad({ urls: [a.url, b.url], served: 5, tokenSeed: seed, lanes: 2 });
  while (a.tokens.length + b.tokens.length < 20) await new Promise((r) => setTimeout(r, 5));
  const counts = await load.stop();

  expect(counts.served).toBe(a.tokens.length);
  expect(counts.failed).toBe(b.tokens.length);
  expect(a.tokens.length).toBeGreaterThanOrEqual(10);
  expect(b.tokens.length).toBeGreaterThanOrEqual(10);
  const known = new Set(Array.from({ length: 5 }, (_, i) => scaleToken(seed, i)));
  for (const token of [...a.tokens, ...b.tokens]) expect(known).toContain(token);
  // Stopped means stopped: nothing arrives afterwards.
  const after = a.tokens.length + b.tokens.length;
  await new Promise((r) => setTimeout(r, 50));
  expect(a.tokens.length + b.tokens.length).toBe(after);
});
