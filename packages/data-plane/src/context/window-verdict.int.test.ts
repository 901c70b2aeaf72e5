import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md: an entry whose window cannot hold the prompt plus the answer's bound is skipped
 * before any byte is sent, with the reason in the attempts trail (no 400 round trip).
 */
describe('entries too small for the prompt are skipped before sending', () => {
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
              { provider_id: 'small', model: 'qwen-small', weight: 6 },
              { provider_id: 'large', model: 'qwen-large', weight: 1 },
            ],
          },
        },
        { id: 'tiny', config: { providers: [{ provider_id: 'small', model: 'qwen-small' }] } },
      ],
    });
  });
  afterAll(async () => h.close());

  // About 60,000 characters over 40 turns: far beyond 4,000 tokens by any count.
  const longConversation = Array.from({ length: 40 }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(34)}`,
  }));

  it('serves a long conversation on the larger entry without sending it to the small one', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/coding',
      messages: longConversation,
    });
    expect(res.status).toBe(200);
    expect(h.mocks['small']!.requests).toHaveLength(0);
    expect(h.mocks['large']!.requests).toHaveLength(1);
    const attempts = h.events.at(-1)!.attempts;
    expect(attempts[0]).toMatchObject({ provider: 'small', outcome: 'skipped', status: null });
    expect(attempts[0]!.reason).toContain('4000-token window');
    expect(attempts[1]).toMatchObject({ provider: 'large', outcome: 'ok' });
  });

  it('sends a short conversation to the small entry as before', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/coding',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(h.mocks['small']!.requests).toHaveLength(1);
  });

  it('answers 400 context_length_exceeded when no entry can hold it', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/tiny',
      messages: longConversation,
    });
    expect(res.status).toBe(400);
    expect((JSON.parse(res.text) as { error: { code: string } }).error.code).toBe('context_length_exceeded');
    expect(h.mocks['small']!.requests).toHaveLength(1); // only the short one above
  });
});
