import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigChange } from '@aisbf/core';
import {
  createDatabase,
  findProvider,
  getConfigVersion,
  insertUser,
  migrateToLatest,
  upsertProvider,
  type DatabaseHandle,
} from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { discoverModels } from './index';

describe('discoverModels', () => {
  let handle: DatabaseHandle;
  let server: Server;
  let base: string;
  let listing: unknown = { object: 'list', data: [{ id: 'b' }, { id: 'c' }] };
  const seenAuth: Array<string | undefined> = [];
  const box = createSecretBox(generateSecretKey());
  const changes: ConfigChange[] = [];
  const deps = () => ({
    db: handle.db,
    secretBox: box,
    publish: async (c: ConfigChange) => void changes.push(c),
    now: () => 5000,
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      seenAuth.push(req.headers.authorization);
      if (req.url === '/v1/models')
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('lists the models with the provider key, keeps known metadata, reports added/removed and publishes', async () => {
    const user = await insertUser(handle.db, { username: 'alice', passwordHash: null, role: 'user', now: 0 });
    await upsertProvider(
      handle.db,
      {
        ownerId: user.id,
        id: 'local',
        type: 'openai',
        endpoint: `${base}/v1`,
        apiKeyEnc: box.encrypt('sk-local-key-1234'),
        apiKeyHint: 'sk-…1234',
        enabled: true,
        adminOnly: false,
        settings: {},
        models: [{ name: 'a' }, { name: 'b', contextWindow: 32768 }],
      },
      0,
    );
    const result = await discoverModels(deps(), { ownerId: user.id, providerId: 'local' });
    expect(result).toEqual({ models: ['b', 'c'], added: ['c'], removed: ['a'] });
    expect(seenAuth.at(-1)).toBe('Bearer sk-local-key-1234');
    const stored = await findProvider(handle.db, user.id, 'local');
    expect(stored?.models).toEqual([
      { name: 'b', contextWindow: 32768, source: 'discovered', discoveredAt: 5000 },
      { name: 'c', source: 'discovered', discoveredAt: 5000 },
    ]);
    const { version } = await getConfigVersion(handle.db);
    expect(changes.at(-1)).toEqual({ version, kind: 'models', id: 'local', op: 'upsert', owner: user.id });
  });

  it('accepts an Ollama-style listing and fails typed on a bad answer, a missing provider or an error status', async () => {
    await upsertProvider(
      handle.db,
      { ownerId: null, id: 'g', type: 'openai', endpoint: `${base}/v1`, enabled: true, adminOnly: false, settings: {} },
      0,
    );
    listing = { models: [{ name: 'llama3:8b' }] };
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'g' })).resolves.toMatchObject({
      models: ['llama3:8b'],
    });
    expect(seenAuth.at(-1)).toBeUndefined();
    listing = { nope: true };
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'g' })).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
    });
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'missing' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await upsertProvider(
      handle.db,
      {
        ownerId: null,
        id: 'bad',
        type: 'openai',
        endpoint: `${base}/nothing`,
        enabled: true,
        adminOnly: false,
        settings: {},
      },
      0,
    );
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'bad' })).rejects.toThrow(/answered 404/);
  });
});
