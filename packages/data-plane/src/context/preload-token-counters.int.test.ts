import { tokenCounterReady } from '@aisbf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md "Costs": with `preloadTokenCounters`, the tokenizers the snapshot's window checks
 * need load when the snapshot arrives, so the very first request to a GPT entry with a small window
 * is checked (and skipped) instead of being sent unchecked while o200k_base loads. A GPT model no
 * window check reaches (`gpt-4` below: no window, no `max_request_tokens`) loads nothing.
 */
describe('token counters preloaded from the snapshot', () => {
  let h: Harness;
  beforeAll(async () => {
    // Nothing in this file loads o200k_base before the harness does (a fresh module registry per file).
    expect(tokenCounterReady('o200k_base')).toBe(false);
    h = await startHarness({
      providers: [
        { id: 'small', models: [{ name: 'gpt-4o', contextWindow: 4000 }] },
        { id: 'large', models: [{ name: 'gpt-4.1', contextWindow: 1_000_000 }] },
        { id: 'plain', models: [{ name: 'gpt-4' }] },
      ],
      rotations: [
        {
          id: 'r',
          config: {
            providers: [
              { provider_id: 'small', model: 'gpt-4o', weight: 6 },
              { provider_id: 'large', model: 'gpt-4.1', weight: 1 },
            ],
          },
        },
      ],
      deps: { preloadTokenCounters: true },
    });
  });
  afterAll(async () => h.close());

  it('loads o200k_base without a request, and the first request is checked', async () => {
    const deadline = Date.now() + 20_000;
    while (!tokenCounterReady('o200k_base') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(tokenCounterReady('o200k_base')).toBe(true);
    expect(tokenCounterReady('cl100k_base')).toBe(false); // gpt-4 uses it, but nothing checks gpt-4's window
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-rotation/r',
      messages: [{ role: 'user', content: 'the quick brown fox jumps over the lazy dog '.repeat(600) }],
    });
    expect(res.status).toBe(200);
    expect(h.mocks['small']!.requests).toHaveLength(0);
    expect(h.events.at(-1)!.attempts[0]).toMatchObject({ provider: 'small', outcome: 'skipped' });
    expect(h.events.at(-1)!.attempts[0]!.reason).toContain('o200k_base count');
  });
});
