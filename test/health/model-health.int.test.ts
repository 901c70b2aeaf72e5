import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthFixture, type HealthFixture } from './health-fixture';

/**
 * docs/jobs.md "health-check": one model of a LAN broker breaks; the broker's other model keeps
 * serving its own rotation through every run of the health job (the processor for real, on the
 * usage the data plane wrote), and `/metrics` shows both levels.
 */
let f: HealthFixture;
beforeAll(async () => {
  const rotation = (model: string, spare: string) => ({
    providers: [
      { provider_id: 'lan', model, weight: 6, error_cooldown: 30 },
      { provider_id: 'hosted', model: spare, weight: 3, error_cooldown: 30 },
    ],
    retry: { backoff_ms: 10 },
  });
  f = await startHealthFixture({
    providers: [
      { id: 'lan', models: ['broken', 'fine'] },
      { id: 'hosted', models: ['spare-a', 'spare-b'] },
    ],
    rotations: [
      { id: 'uses-broken', config: rotation('broken', 'spare-a') },
      { id: 'uses-fine', config: rotation('fine', 'spare-b') },
    ],
  });
});
afterAll(async () => f.close());

const ask = async (model: string): Promise<string | null> => {
  const res = await fetch(`${f.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get('x-aisbf-provider');
};

describe('one broken model never takes its provider out', () => {
  it('the other model of the same provider serves its rotation through every health run', async () => {
    f.mocks['lan']!.setDefault({ kind: 'status', status: 503, model: 'broken' });
    const runs = [];
    for (let run = 0; run < 4; run++) {
      for (let i = 0; i < 5; i++) {
        expect(await ask('uses-fine')).toBe('lan');
        expect(await ask('uses-broken')).toBe('hosted');
      }
      await f.jobs.usageSink.flush();
      runs.push(await f.jobs.runHealthCheck());
    }
    for (const result of runs) {
      const lan = result.checked.find((c) => c.providerId === 'lan')!;
      expect([lan.status, lan.source]).toEqual(['healthy', 'traffic']);
      expect(Object.fromEntries(lan.models.map((m) => [m.model, m.status]))).toEqual({
        broken: 'unhealthy',
        fine: 'healthy',
      });
    }
    // The broken model was tried once per cooldown at most: its first failure opened it (30 s).
    const brokenTries = f.mocks['lan']!.requests.filter((r) => (r.body as { model?: string }).model === 'broken');
    expect(brokenTries.length).toBeLessThanOrEqual(3 * 2); // allowed_fails 3, each with its one retry
    expect(f.mocks['lan']!.requests.filter((r) => (r.body as { model?: string }).model === 'fine')).toHaveLength(20);

    const metrics = await f.plane.metrics();
    expect(metrics).toContain('aisbf_health{provider="lan",model="",status="healthy"} 1');
    expect(metrics).toContain('aisbf_health{provider="lan",model="broken",status="unhealthy"} 1');
    expect(metrics).toContain('aisbf_health{provider="lan",model="fine",status="healthy"} 1');
  });
});
