import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import {
  autoselectConfigSchema,
  emptySnapshot,
  rotationConfigSchema,
  type AutoselectConfigInput,
  type Limits,
  type ProviderModel,
  type RotationConfigInput,
  type Snapshot,
  type SnapshotProvider,
  type UsageEvent,
  type UsageSink,
} from '@aisbf/core';
import { createSecretBox, generateApiToken, hashApiToken } from '@aisbf/secrets';
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '@aisbf/testkit';
import { createDataPlane, type DataPlane, type DataPlaneDeps } from './create-data-plane';

/**
 * Test-only: a real HTTP data plane in front of mock upstreams (one per provider, so each has its
 * own fault queue), users alice (user), bob (user) and root (admin), and a usage sink that
 * records events. Not exported from the package.
 */
export interface HarnessProvider {
  id: string;
  /** Default: the user alice owns it; `null` makes it global. */
  ownerId?: string | null;
  models?: Array<string | ProviderModel>;
  mock?: MockUpstreamOptions;
  /** Point at a closed port instead of a mock (refused connections). */
  deadEndpoint?: boolean;
  extra?: Partial<SnapshotProvider>;
}

export interface HarnessOptions {
  providers: HarnessProvider[];
  rotations?: Array<{ id: string; ownerId?: string | null; config: RotationConfigInput }>;
  autoselects?: Array<{ id: string; ownerId?: string | null; config: AutoselectConfigInput }>;
  deps?: Partial<DataPlaneDeps>;
  /** Do not load a snapshot at start (readiness tests). */
  noSnapshot?: boolean;
  /** Limits on alice's token (rate-limit tests). */
  aliceTokenLimits?: Limits;
}

export interface Harness {
  url: string;
  /** OpenAI SDK base URLs. */
  aliceBase: string;
  v1: string;
  tokens: { alice: string; bob: string; root: string; expired: string };
  mocks: Record<string, MockUpstream>;
  events: UsageEvent[];
  plane: DataPlane;
  snapshot: Snapshot;
  providerKey: string;
  close(): Promise<void>;
}

export const USERS = {
  alice: { id: 'u-alice', username: 'alice', role: 'user' as const, disabled: false },
  bob: { id: 'u-bob', username: 'bob', role: 'user' as const, disabled: false },
  root: { id: 'u-root', username: 'root', role: 'admin' as const, disabled: false },
};

const HARNESS_SECRET = 'harness-secret';

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const box = createSecretBox(HARNESS_SECRET);
  const providerKey = 'sk-provider-secret-123';
  const mocks: Record<string, MockUpstream> = {};
  const providers: SnapshotProvider[] = [];
  for (const p of options.providers) {
    const models = p.models ?? ['m1'];
    const names = models.map((m) => (typeof m === 'string' ? m : m.name));
    let endpoint = 'http://127.0.0.1:9/v1';
    if (p.deadEndpoint !== true) {
      const mock = await startMockUpstream({ models: names, apiKey: providerKey, ...p.mock });
      // Same id in two scopes (user vs global): the second one is `id@global` / `id@<ownerId>`.
      mocks[mocks[p.id] === undefined ? p.id : `${p.id}@${p.ownerId ?? 'global'}`] = mock;
      endpoint = mock.url;
    }
    providers.push({
      ownerId: p.ownerId === undefined ? USERS.alice.id : p.ownerId,
      id: p.id,
      type: 'openai',
      endpoint,
      apiKeyEnc: box.encrypt(providerKey),
      enabled: true,
      adminOnly: false,
      models: models.map((m) => (typeof m === 'string' ? { name: m } : m)),
      timeouts: {},
      ...p.extra,
    });
  }
  const tokens = {
    alice: generateApiToken(),
    bob: generateApiToken(),
    root: generateApiToken(),
    expired: generateApiToken(),
  };
  const snapshot: Snapshot = {
    ...emptySnapshot(1, 1_700_000_000_000),
    users: [USERS.alice, USERS.bob, USERS.root],
    tokens: [
      {
        id: 't-alice',
        userId: USERS.alice.id,
        name: 'alice',
        hash: hashApiToken(tokens.alice),
        expiresAt: null,
        ...(options.aliceTokenLimits === undefined ? {} : { limits: options.aliceTokenLimits }),
      },
      { id: 't-bob', userId: USERS.bob.id, name: 'bob', hash: hashApiToken(tokens.bob), expiresAt: null },
      { id: 't-root', userId: USERS.root.id, name: 'root', hash: hashApiToken(tokens.root), expiresAt: null },
      { id: 't-old', userId: USERS.alice.id, name: 'old', hash: hashApiToken(tokens.expired), expiresAt: 1000 },
    ],
    providers,
    rotations: (options.rotations ?? []).map((r) => ({
      ownerId: r.ownerId === undefined ? USERS.alice.id : r.ownerId,
      id: r.id,
      config: rotationConfigSchema.parse(r.config),
    })),
    autoselects: (options.autoselects ?? []).map((a) => ({
      ownerId: a.ownerId === undefined ? USERS.alice.id : a.ownerId,
      id: a.id,
      config: autoselectConfigSchema.parse(a.config),
    })),
  };
  const events: UsageEvent[] = [];
  const usageSink: UsageSink = {
    emit: (e) => void events.push(e),
    flush: async () => undefined,
    close: async () => undefined,
  };
  const plane = createDataPlane({ secretBox: box, usageSink, logger: pino({ level: 'silent' }), ...options.deps });
  if (options.noSnapshot !== true) plane.setSnapshot(snapshot);
  const server: Server = createServer((req, res) => {
    if (!plane.handle(req, res)) {
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('not the data plane');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    aliceBase: `${url}/api/u/alice`,
    v1: `${url}/v1`,
    tokens,
    mocks,
    events,
    plane,
    snapshot,
    providerKey,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plane.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    },
  };
}

/**
 * Another data-plane node serving the harness's snapshot (same users, tokens and backends), as a
 * cluster's second instance: its own routing state, the shared parts given in `deps`.
 */
export async function startSecondNode(
  h: Harness,
  deps: Partial<DataPlaneDeps>,
): Promise<{ v1: string; plane: DataPlane; close(): Promise<void> }> {
  const plane = createDataPlane({
    secretBox: createSecretBox(HARNESS_SECRET),
    usageSink: { emit: () => undefined, flush: async () => undefined, close: async () => undefined },
    logger: pino({ level: 'silent' }),
    ...deps,
  });
  plane.setSnapshot(h.snapshot);
  const server = createServer((req, res) => {
    if (!plane.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    v1: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    plane,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plane.close();
    },
  };
}

/** Raw POST for byte-wise assertions (the SDK hides headers and SSE framing). */
export async function post(
  url: string,
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const words = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => `w${from + i}`).join(' ');
