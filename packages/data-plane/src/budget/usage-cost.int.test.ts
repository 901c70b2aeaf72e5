import { afterEach, describe, expect, it } from 'vitest';
import { computeCostMicros } from '@aisbf/core';
import { post, startHarness, type Harness } from '../test-harness';

const ask = { messages: [{ role: 'user', content: 'hello there' }] };
const cheap = { name: 'm1', pricing: { prompt: 1, completion: 2 } };
const dear = { name: 'm1', pricing: { prompt: 10, completion: 30 } };

describe('usage cost (docs/usage.md)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a failover bills only the serving model, failed attempts at zero', async () => {
    h = await startHarness({
      providers: [
        { id: 'p', models: [dear] },
        { id: 'q', models: [cheap] },
      ],
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
    h.mocks['p']!.enqueue({ kind: 'status', status: 500 });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...ask, model: 'r' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('q');
    const event = h.events.at(-1)!;
    expect(event.provider).toBe('q');
    expect(event.estimated).toBe(false);
    expect(event.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['p', 'error'],
      ['q', 'ok'],
    ]);
    const expected = computeCostMicros(cheap.pricing, event)!;
    expect(expected).toBeGreaterThan(0);
    expect(event.costMicros).toBe(expected);
    // Priced at q's rates, not p's: p's price would be at least 10 times more.
    expect(event.costMicros).toBe(event.promptTokens * 1 + event.completionTokens * 2);
    expect(res.headers.get('x-aisbf-cost')).toBe((expected / 1e6).toFixed(6));
  });

  it('an unpriced model is flagged (null, header "unpriced") and its tokens still counted', async () => {
    h = await startHarness({ providers: [{ id: 'p', models: ['m1'] }] });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...ask, model: 'user-provider/p/m1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-cost')).toBe('unpriced');
    const event = h.events.at(-1)!;
    expect(event.costMicros).toBeNull();
    expect(event.promptTokens).toBeGreaterThan(0);
    expect(event.completionTokens).toBeGreaterThan(0);
  });

  it('a request nothing served costs 0, not unpriced', async () => {
    h = await startHarness({ providers: [{ id: 'p', models: [dear] }] });
    h.mocks['p']!.setDefault({ kind: 'status', status: 503 });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...ask, model: 'user-provider/p/m1' });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(h.events.at(-1)!.costMicros).toBe(0);
  });

  it('a stream carries its cost in the usage record, from the backend usage', async () => {
    h = await startHarness({ providers: [{ id: 'p', models: [cheap] }] });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      ...ask,
      model: 'user-provider/p/m1',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('[DONE]');
    const event = h.events.at(-1)!;
    expect(event.estimated).toBe(false);
    expect(event.costMicros).toBe(event.promptTokens + 2 * event.completionTokens);
  });
});
