import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimiter } from '@aisbf/core';
import { post, startHarness, type Harness } from './test-harness';

const body = { model: 'user-provider/p/m1', messages: [{ role: 'user', content: 'x' }] };

describe('rate limits and metrics', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  // Counting against real Redis is in cluster-redis.int.test.ts; this is the limiter failing.
  it('fails open when the limiter itself is down', async () => {
    const broken: RateLimiter = {
      hit: () => Promise.reject(new Error('redis away')),
      hitAll: () => Promise.reject(new Error('redis away')),
      close: async () => undefined,
    };
    h = await startHarness({
      providers: [{ id: 'p' }],
      aliceTokenLimits: { requestsPerMinute: 1 },
      deps: { rateLimiter: broken },
    });
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, body)).status).toBe(200);
  });

  it('/metrics counts requests, attempts, failovers, cooldowns and the config version', async () => {
    h = await startHarness({
      providers: [{ id: 'p' }, { id: 'q' }],
      rotations: [
        {
          id: 'r',
          config: {
            providers: [
              { provider_id: 'p', model: 'm1', weight: 2 },
              { provider_id: 'q', model: 'm1', weight: 1 },
            ],
            retry: { same_entry: 0 },
          },
        },
      ],
    });
    h.mocks['p']!.enqueue({ kind: 'rate-limit' });
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...body, model: 'r' })).status).toBe(200);
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...body, model: 'nope' })).status).toBe(404);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toContain('aisbf_requests_total{endpoint="chat.completions",status="200",outcome="ok"} 1');
    expect(text).toContain('aisbf_requests_total{endpoint="chat.completions",status="404",outcome="error"} 1');
    expect(text).toContain('aisbf_upstream_attempts_total{provider="p",outcome="rate_limited"} 1');
    expect(text).toContain('aisbf_failovers_total 1');
    expect(text).toContain('aisbf_cooldowns_opened_total 1');
    expect(text).toContain('aisbf_config_version 1');
  });
});
