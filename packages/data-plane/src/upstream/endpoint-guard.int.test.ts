import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEndpointPolicy, resolveEndpointPolicy, type EndpointPolicy, type SnapshotProvider } from '@aisbf/core';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * Connect-time endpoint policy (docs/security.md, DNS rebinding): the data plane resolves a user-owned
 * provider's host itself and refuses forbidden addresses before any byte is sent. DNS is a fake
 * table here, so `*.test` names never reach a real resolver.
 */
async function startWith(
  policy: EndpointPolicy,
  dns: Record<string, string[]>,
): Promise<{ h: Harness; lookups: string[] }> {
  const lookups: string[] = [];
  const h = await startHarness({
    providers: [
      { id: 'mine', models: ['m1'] },
      { id: 'shared', ownerId: null, models: ['m1'] },
    ],
    rotations: [
      {
        id: 'mixed',
        config: {
          providers: [
            { provider_id: 'mine', model: 'm1', weight: 10 },
            { provider_id: 'shared', model: 'm1', weight: 1 },
          ],
        },
      },
    ],
    deps: {
      endpointPolicy: policy,
      resolveHost: async (name) => {
        lookups.push(name);
        return dns[name] ?? [];
      },
    },
  });
  return { h, lookups };
}

/** Points a provider at `host`, keeping the mock's port, in a new snapshot version. */
function repoint(h: Harness, id: string, host: string, version: number): void {
  const providers = h.snapshot.providers.map((p): SnapshotProvider => {
    if (p.id !== id) return p;
    const url = new URL(p.endpoint);
    url.hostname = host;
    return { ...p, endpoint: url.toString() };
  });
  h.snapshot = { ...h.snapshot, version, providers };
  h.plane.setSnapshot(h.snapshot);
}

const chat = (h: Harness, model: string, stream = false) =>
  post(`${h.v1}/chat/completions`, h.tokens.alice, { model, messages: [{ role: 'user', content: 'hi' }], stream });

describe('connect-time endpoint policy, default policy (LAN and public)', () => {
  let h: Harness;
  let lookups: string[];
  beforeAll(async () => {
    ({ h, lookups } = await startWith(defaultEndpointPolicy(), {
      'rebind.test': ['127.0.0.1'],
      'meta.test': ['93.184.216.34', '169.254.169.254'],
    }));
  });
  afterAll(async () => h.close());

  it('a user-owned provider on a loopback literal is refused, nothing sent, as a non-retryable upstream error', async () => {
    const res = await chat(h, 'user-provider/mine/m1');
    expect(res.status).toBe(502);
    const body = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('endpoint_forbidden');
    expect(body.error.message).toContain('127.0.0.1 is a loopback address');
    expect(res.text).not.toContain(h.providerKey);
    expect(h.mocks['mine']!.requests).toHaveLength(0);
    expect(h.events.at(-1)!.attempts).toHaveLength(1);
  });

  it('a global provider on loopback is trusted and serves', async () => {
    const res = await chat(h, 'provider/shared/m1');
    expect(res.status).toBe(200);
    expect(h.mocks['shared']!.requests.length).toBeGreaterThan(0);
  });

  it('in a rotation, the refused entry is skipped at once and the next entry serves', async () => {
    const before = h.mocks['shared']!.requests.length;
    const res = await chat(h, 'user-rotation/mixed', true);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('shared');
    expect(h.mocks['shared']!.requests.length).toBe(before + 1);
    expect(h.mocks['mine']!.requests).toHaveLength(0);
  });

  it('a name rebound to 127.0.0.1 is refused after resolution (DNS rebinding)', async () => {
    repoint(h, 'mine', 'rebind.test', 2);
    const res = await chat(h, 'user-provider/mine/m1');
    expect(res.status).toBe(502);
    expect(res.text).toContain('rebind.test (127.0.0.1)');
    expect(lookups).toContain('rebind.test');
    expect(h.mocks['mine']!.requests).toHaveLength(0);
  });

  it('a name with one metadata address among public ones is refused', async () => {
    repoint(h, 'mine', 'meta.test', 3);
    const res = await chat(h, 'user-provider/mine/m1');
    expect(res.status).toBe(502);
    expect(res.text).toContain('169.254.169.254');
    expect(h.mocks['mine']!.requests).toHaveLength(0);
  });
});

describe('connect-time endpoint policy with loopback allowed', () => {
  let h: Harness;
  beforeAll(async () => {
    ({ h } = await startWith(resolveEndpointPolicy({ allow: ['loopback', 'lan', 'public'] }), {
      'ok.test': ['127.0.0.1'],
    }));
  });
  afterAll(async () => h.close());

  it('connects to the checked address (the name is never given to the system resolver)', async () => {
    repoint(h, 'mine', 'ok.test', 2);
    const res = await chat(h, 'user-provider/mine/m1');
    expect(res.status).toBe(200);
    expect(h.mocks['mine']!.requests).toHaveLength(1);
  });

  it('still refuses the gateway ports on loopback', async () => {
    const providers = h.snapshot.providers.map((p): SnapshotProvider =>
      p.id === 'mine' ? { ...p, endpoint: 'http://127.0.0.1:17765/v1' } : p,
    );
    h.snapshot = { ...h.snapshot, version: 3, providers };
    h.plane.setSnapshot(h.snapshot);
    const res = await chat(h, 'user-provider/mine/m1');
    expect(res.status).toBe(502);
    expect(res.text).toContain('is the gateway itself');
  });
});

describe("connect-time endpoint policy: the gateway's own interface addresses", () => {
  // docs/security.md, second review, finding 3: a name that resolves to one of the host's own LAN
  // addresses, on a gateway port, is the gateway itself (a loop), refused before any byte is sent.
  let h: Harness;
  const policy = resolveEndpointPolicy({ allow: ['loopback', 'lan', 'public'] }, [], ['127.0.0.1', '10.55.0.1']);
  beforeAll(async () => {
    ({ h } = await startWith(policy, { 'gateway.test': ['10.55.0.1'], 'other.test': ['10.55.0.2'] }));
    policy.gatewayPorts.push(Number(new URL(h.mocks['mine']!.url).port));
  });
  afterAll(async () => h.close());

  it('is refused as the gateway itself, nothing sent', async () => {
    repoint(h, 'mine', 'gateway.test', 2);
    const res = await chat(h, 'user-provider/mine/m1');
    expect(res.status).toBe(502);
    const body = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('endpoint_forbidden');
    expect(body.error.message).toContain('gateway.test (10.55.0.1)');
    expect(body.error.message).toContain('is the gateway itself');
    expect(h.mocks['mine']!.requests).toHaveLength(0);
  });
});
