import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RECORDED_ATTEMPTS } from '@aisbf/core';
import { post, startHarness, type Harness } from './test-harness';

describe('the attempts a usage event records', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('are bounded for a request that tries more entries than that, keeping the one that served', async () => {
    const ids = Array.from({ length: MAX_RECORDED_ATTEMPTS + 5 }, (_, i) => `p${i}`);
    h = await startHarness({
      providers: ids.map((id) => ({ id })),
      // Under the default priority strategy the higher weight is tried first: the serving entry last.
      rotations: [
        {
          id: 'long',
          config: { providers: ids.map((id, i) => ({ provider_id: id, model: 'm1', weight: ids.length - i })) },
        },
      ],
    });
    // Every entry but one answers 429: the rotation moves on until the one that serves.
    const serving = ids[ids.length - 1]!;
    for (const id of ids) if (id !== serving) h.mocks[id]!.enqueue({ kind: 'rate-limit' });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'long',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe(serving);
    // The client still learns how many attempts there were; the record keeps the first and the last.
    expect(res.headers.get('x-aisbf-attempts')).toBe(String(ids.length));
    const event = h.events.at(-1)!;
    expect(event.attempts).toHaveLength(MAX_RECORDED_ATTEMPTS);
    expect(event.attempts.slice(0, -1).every((a) => a.outcome === 'rate_limited')).toBe(true);
    expect(event.attempts.at(-1)).toMatchObject({ provider: serving, outcome: 'ok' });
  });
});
