import { createMemoryRequestSpacer, createRedisRequestSpacer } from '@aisbf/bus';
import type { RequestSpacer } from '@aisbf/core';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, startSecondNode, type Harness } from '../test-harness';

/**
 * docs/context.md "Rate limit": AISBF's `rate_limit` spaces requests to a model (model level) or a
 * whole provider. A spaced rotation entry is skipped now (trail says why, no cooldown); when every
 * entry is spaced, or a direct provider route is, the client gets 429 with Retry-After.
 */
const chat = (model: string): Record<string, unknown> => ({ model, messages: [{ role: 'user', content: 'hi' }] });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function suite(name: string, makeSpacer: () => RequestSpacer): void {
  describe(`rate_limit spacing (${name})`, () => {
    let h: Harness;
    const spacers: RequestSpacer[] = [];
    const spacer = (): RequestSpacer => {
      const s = makeSpacer();
      spacers.push(s);
      return s;
    };
    beforeAll(async () => {
      h = await startHarness({
        providers: [
          { id: 'slow', models: [{ name: 'qwen', limits: { rateLimitS: 2.5 } }, 'other'] },
          { id: 'fast', models: ['llama'] },
          // Provider-wide spacing; one model lifts it with its own rate_limit 0.
          { id: 'paced', models: ['a', 'b', { name: 'free', limits: { rateLimitS: 0 } }], extra: { rateLimitS: 30 } },
        ],
        rotations: [
          {
            id: 'mixed',
            config: {
              providers: [
                { provider_id: 'slow', model: 'qwen', weight: 6 },
                { provider_id: 'fast', model: 'llama', weight: 1 },
              ],
            },
          },
          {
            id: 'spaced',
            config: {
              providers: [
                { provider_id: 'slow', model: 'other', weight: 2, rate_limit: 20 },
                { provider_id: 'paced', model: 'a', weight: 1 },
              ],
            },
          },
        ],
        deps: { spacer: spacer() },
      });
    });
    afterAll(async () => {
      await h.close();
      for (const s of spacers) await s.close();
    });

    it('skips the spaced entry for the next one without cooling it down, and uses it again once its slot opens', async () => {
      const first = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-rotation/mixed'));
      expect(first.status).toBe(200);
      expect(h.mocks['slow']!.requests).toHaveLength(1);
      const second = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-rotation/mixed'));
      expect(second.status).toBe(200);
      expect(h.mocks['slow']!.requests).toHaveLength(1);
      expect(h.mocks['fast']!.requests).toHaveLength(1);
      const trail = h.events.at(-1)!.attempts;
      expect(trail[0]).toMatchObject({ provider: 'slow', model: 'qwen', outcome: 'skipped', status: null });
      expect(trail[0]!.reason).toMatch(/^rate_limit: one request every 2\.5 s to slow\/qwen; next in [12]\.\d s$/);
      expect(trail[0]!.cooldownUntil).toBeUndefined();
      expect(trail[1]).toMatchObject({ provider: 'fast', outcome: 'ok' });
      await sleep(2_550);
      const third = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-rotation/mixed'));
      expect(third.status).toBe(200);
      expect(h.mocks['slow']!.requests).toHaveLength(2); // not cooled down: back as soon as spacing allows
    });

    it('answers 429 with Retry-After when every entry is spaced (OpenAI and Anthropic dialects)', async () => {
      expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-rotation/spaced'))).status).toBe(200);
      const before = h.mocks['paced']!.requests.length + h.mocks['slow']!.requests.length;
      // The first went to slow/other (20 s); paced/a serves the second (30 s, provider-wide).
      expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-rotation/spaced'))).status).toBe(200);
      const refused = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-rotation/spaced'));
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(19);
      expect(retryAfter).toBeLessThanOrEqual(20); // the soonest slot: slow/other's, not paced's 30 s
      const error = (JSON.parse(refused.text) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('rate_limit_exceeded');
      expect(error.message).toContain('route user-rotation/spaced');
      const trail = h.events.at(-1)!.attempts;
      expect(trail.map((a) => a.outcome)).toEqual(['skipped', 'skipped']);
      const anthropic = await post(`${h.v1}/messages`, h.tokens.alice, {
        ...chat('user-rotation/spaced'),
        max_tokens: 5,
      });
      expect(anthropic.status).toBe(429);
      expect(Number(anthropic.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
      expect(JSON.parse(anthropic.text)).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      // Nothing reached an upstream for the refused requests.
      expect(h.mocks['paced']!.requests.length + h.mocks['slow']!.requests.length).toBe(before + 1);
    });

    it("spaces a direct provider route: the provider's rate_limit covers all its models, a model's 0 lifts it", async () => {
      // paced/a was used by the rotation above: the whole provider is spaced for 30 s.
      const b = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-provider/paced/b'));
      expect(b.status).toBe(429);
      expect(Number(b.headers.get('retry-after'))).toBeGreaterThan(25);
      expect(JSON.parse(b.text)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      expect(h.events.at(-1)!.attempts[0]!.reason).toContain('to provider paced');
      const free = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-provider/paced/free'));
      expect(free.status).toBe(200);
    });

    if (name === 'redis')
      it('is shared by the nodes of a cluster: a request on one node spaces the next on another', async () => {
        const node2 = await startSecondNode(h, { spacer: spacer() });
        try {
          await sleep(2_550);
          const one = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('user-provider/slow/qwen'));
          expect(one.status).toBe(200);
          const two = await post(`${node2.v1}/chat/completions`, h.tokens.alice, chat('user-provider/slow/qwen'));
          expect(two.status).toBe(429);
          expect(two.headers.get('retry-after')).toBe('3');
        } finally {
          await node2.close();
        }
      });
  });
}

suite('memory', () => createMemoryRequestSpacer());
const prefix = testRedisPrefix('spacing');
let n = 0;
suite('redis', () => createRedisRequestSpacer({ url: testRedisUrl(), prefix, name: `test-spacing-${++n}` }));
