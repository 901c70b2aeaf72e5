import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEndpointPolicy } from '@aisbf/core';
import { createGuardedFetch } from '@aisbf/data-plane';
import { createDatabase, insertUser, migrateToLatest, upsertProvider, type DatabaseHandle } from '@aisbf/db';
import { checkHealth, discoverModels } from '@aisbf/jobs';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';

/**
 * The connect-time endpoint policy (docs/endpoint-policy.md) also guards the jobs (model discovery, health probes):
 * a user-owned provider whose name passed the write-time check but now resolves to a metadata
 * address is refused before a socket opens, with the reason in the job's error; an allowed name
 * is pinned to the address that was checked. DNS is a fake table (`*.test`).
 */
describe('jobs reach user-owned providers only through the endpoint policy', () => {
  let handle: DatabaseHandle;
  let server: Server;
  let port = 0;
  const received: string[] = [];
  const box = createSecretBox(generateSecretKey());
  const dns: Record<string, string[]> = { 'rebound.test': ['169.254.169.254'], 'lan-box.test': ['127.0.0.1'] };
  const userFetch = createGuardedFetch({
    policy: resolveEndpointPolicy({ allow: ['loopback', 'lan', 'public'] }),
    resolveHost: async (name) => dns[name] ?? [],
  });
  const deps = () => ({
    db: handle.db,
    secretBox: box,
    publish: async () => undefined,
    publishHealth: async () => undefined,
    userFetch,
  });
  let alice = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.url ?? '');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data: [{ id: 'm1' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    alice = (await insertUser(handle.db, { username: 'alice', passwordHash: null, role: 'user', now: 0 })).id;
    const provider = (id: string, host: string, ownerId: string | null) =>
      upsertProvider(
        handle.db,
        {
          ownerId,
          id,
          type: 'openai',
          endpoint: `http://${host}:${port}/v1`,
          apiKeyEnc: null,
          apiKeyHint: null,
          enabled: true,
          adminOnly: false,
          settings: {},
          models: [],
        },
        0,
      );
    await provider('rebound', 'rebound.test', alice);
    await provider('lan-box', 'lan-box.test', alice);
    await provider('shared', '127.0.0.1', null);
  });
  afterAll(async () => {
    await handle.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('discovery of a user-owned provider that now resolves to the metadata address is refused before any request', async () => {
    const before = received.length;
    await expect(discoverModels(deps(), { ownerId: alice, providerId: 'rebound' })).rejects.toThrow(
      /refused by the endpoint policy/,
    );
    expect(received.length).toBe(before);
  });

  it('its health probe reports the refusal, and no request reached anything', async () => {
    const before = received.length;
    const result = await checkHealth(deps(), { ownerId: alice, providerId: 'rebound' });
    expect(result.checked).toHaveLength(1);
    expect(result.checked[0]).toMatchObject({ status: 'unhealthy', source: 'probe' });
    expect(result.checked[0]!.error).toMatch(/refused by the endpoint policy/);
    expect(received.length).toBe(before);
  });

  it('an allowed name is checked and connected at the address that was checked; global providers use plain fetch', async () => {
    expect(await discoverModels(deps(), { ownerId: alice, providerId: 'lan-box' })).toMatchObject({ models: ['m1'] });
    expect(await discoverModels(deps(), { ownerId: null, providerId: 'shared' })).toMatchObject({ models: ['m1'] });
    expect(received.filter((u) => u === '/v1/models').length).toBeGreaterThanOrEqual(2);
  });
});
