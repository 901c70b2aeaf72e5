import { countPromptTokens, estimateCounter } from '@aisbf/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md "Condensation": an entry with a `condense_method` whose window cannot hold the
 * prompt gets the newest turns that fit (`sliding_window`) instead of being skipped; the answer
 * says so in `x-aisbf-condensed` and the usage record keeps the same value.
 */
describe('an entry with condense_method serves a prompt too long for its window, condensed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'small', models: [{ name: 'qwen-small', contextWindow: 4000 }] },
        { id: 'large', models: [{ name: 'qwen-large', contextWindow: 128_000 }] },
      ],
      rotations: [
        {
          id: 'coding',
          config: {
            providers: [
              { provider_id: 'small', model: 'qwen-small', weight: 1000, condense_method: 'sliding_window' },
              { provider_id: 'large', model: 'qwen-large', weight: 1 },
            ],
          },
        },
        {
          id: 'chatty',
          config: {
            providers: [{ provider_id: 'small', model: 'qwen-small', condense_method: ['conversational'] }],
          },
        },
      ],
    });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.mocks['small']!.reset();
    h.mocks['large']!.reset();
  });

  // About 60,000 characters over 40 turns, then the question: far beyond 4,000 tokens by any count.
  const lastTurn = { role: 'user', content: 'Given all that, which turn mentioned the fox first?' };
  const conversation = [
    { role: 'system', content: 'You answer in one sentence.' },
    ...Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(34)}`,
    })),
    lastTurn,
  ];

  it('serves a 40-turn conversation on the 4,000-token entry with the newest turns that fit', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/coding',
      messages: conversation,
      max_tokens: 500,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('small');
    expect(h.mocks['large']!.requests).toHaveLength(0);
    expect(h.mocks['small']!.requests).toHaveLength(1);
    const sent = h.mocks['small']!.requests[0]!.body as { messages: typeof conversation; max_tokens: number };
    const before = countPromptTokens({ messages: conversation }, estimateCounter);
    const after = countPromptTokens({ messages: sent.messages }, estimateCounter);
    expect(after).toBeLessThanOrEqual(4000 - 500);
    expect(sent.max_tokens).toBe(500);
    expect(sent.messages[0]).toEqual(conversation[0]);
    expect(sent.messages.at(-1)).toEqual(lastTurn);
    expect(sent.messages.length).toBeLessThan(conversation.length);
    expect(sent.messages.slice(1)).toEqual(conversation.slice(conversation.length - (sent.messages.length - 1)));
    const header = res.headers.get('x-aisbf-condensed');
    expect(header).toBe(`sliding_window; ${before}->${after}`);
    const event = h.events.at(-1)!;
    expect(event.condensed).toBe(header);
    expect(event.attempts).toEqual([expect.objectContaining({ provider: 'small', outcome: 'ok' })]);
  });

  it('sends the next entry the original conversation when the condensed entry fails', async () => {
    h.mocks['small']!.setDefault({ kind: 'status', status: 503 });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/coding',
      messages: conversation,
      max_tokens: 500,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('large');
    expect(res.headers.get('x-aisbf-condensed')).toBeNull();
    expect(h.mocks['small']!.requests.length).toBeGreaterThan(0);
    expect((h.mocks['large']!.requests[0]!.body as { messages: unknown[] }).messages).toEqual(conversation);
    expect(h.events.at(-1)!.condensed).toBeNull();
  });

  it('falls back to sliding_window for conversational on a rotation without a condensation route, and says so', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/chatty',
      messages: conversation,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; \d+->\d+$/);
  });

  it('leaves a prompt that fits untouched, with no header', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/chatty',
      messages: [lastTurn],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-condensed')).toBeNull();
    expect((h.mocks['small']!.requests[0]!.body as { messages: unknown[] }).messages).toEqual([lastTurn]);
    expect(h.events.at(-1)!.condensed).toBeNull();
  });

  it('answers 400 context_length_exceeded when even the last turn does not fit', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/chatty',
      messages: [{ role: 'user', content: 'fox '.repeat(20_000) }],
    });
    expect(res.status).toBe(400);
    expect((JSON.parse(res.text) as { error: { code: string } }).error.code).toBe('context_length_exceeded');
    expect(h.mocks['small']!.requests).toHaveLength(0);
    expect(h.events.at(-1)!.attempts[0]!.reason).toContain('sliding_window cannot fit it');
  });
});
