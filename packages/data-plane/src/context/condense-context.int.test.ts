import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md "Condensation": `condense_context` is the percent of the window at which an entry
 * with a condense_method starts condensing; its prompt is condensed to that size.
 */
describe('condense_context threshold', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        {
          id: 'lan',
          models: [
            // 10 % of 128,000: condensed past 12,800 tokens although the window holds far more.
            {
              name: 'qwen-early',
              contextWindow: 128_000,
              limits: { condenseMethods: ['sliding_window'], condenseContext: 10 },
            },
            { name: 'qwen-late', contextWindow: 128_000, limits: { condenseMethods: ['sliding_window'] } },
            { name: 'qwen-none', contextWindow: 128_000, limits: { condenseContext: 10 } },
          ],
        },
      ],
    });
  });
  afterAll(async () => h.close());

  // About 61,500 characters over 40 turns: about 17,500 tokens by the estimate.
  const conversation = Array.from({ length: 40 }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(34)}`,
  }));
  const ask = (model: string, messages: unknown[]) =>
    post(`${h.v1}/chat/completions`, h.tokens.alice, { model: `user-provider/lan/${model}`, messages });

  it('condenses a prompt past the percent to at most that many tokens', async () => {
    const res = await ask('qwen-early', conversation);
    expect(res.status).toBe(200);
    const header = res.headers.get('x-aisbf-condensed');
    const match = /^sliding_window; (\d+)->(\d+)$/.exec(header ?? '');
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(12_800);
    expect(Number(match![2])).toBeLessThanOrEqual(12_800);
    const sent = h.mocks['lan']!.requests.at(-1)!.body as { messages: unknown[] };
    expect(sent.messages.length).toBeLessThan(conversation.length);
  });

  it('sends it whole without condense_context (it fits the window), and below the percent', async () => {
    const late = await ask('qwen-late', conversation);
    expect(late.status).toBe(200);
    expect(late.headers.get('x-aisbf-condensed')).toBeNull();
    expect((h.mocks['lan']!.requests.at(-1)!.body as { messages: unknown[] }).messages).toHaveLength(40);
    const short = await ask('qwen-early', conversation.slice(-3));
    expect(short.headers.get('x-aisbf-condensed')).toBeNull();
  });

  it('without a condense_method the percent neither condenses nor skips a prompt that fits', async () => {
    const res = await ask('qwen-none', conversation);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-condensed')).toBeNull();
    expect(h.events.at(-1)!.attempts.map((a) => a.outcome)).toEqual(['ok']);
  });
});
