import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md "Order of resolution": `max_tokens` is sent upstream when the client set none,
 * from the rotation's model, else the provider's model, else the provider's default_max_tokens.
 */
describe('resolved max_tokens reaches the upstream', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        {
          id: 'local',
          models: [{ name: 'small', limits: { maxTokens: 222 } }, 'big'],
          extra: { limits: { maxTokens: 321 }, defaultMaxTokens: 321 },
        },
      ],
      rotations: [
        {
          id: 'coding',
          config: { providers: [{ provider_id: 'local', models: [{ name: 'small', max_tokens: 111 }] }] },
        },
      ],
    });
  });
  afterAll(async () => h.close());

  const sent = async (model: string, extra: Record<string, unknown> = {}): Promise<unknown> => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model,
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    });
    expect(res.status).toBe(200);
    return (h.mocks['local']!.requests.at(-1)!.body as Record<string, unknown>)['max_tokens'];
  };

  it("sends the provider model's max_tokens over the provider's default (222, not 321)", async () => {
    expect(await sent('user-provider/local/small')).toBe(222);
  });

  it("sends the provider's default_max_tokens for a model that sets none", async () => {
    expect(await sent('user-provider/local/big')).toBe(321);
  });

  it("sends the rotation model's max_tokens over the provider model's", async () => {
    expect(await sent('user-rotation/coding')).toBe(111);
  });

  it("never overrides the client's own bound", async () => {
    expect(await sent('user-rotation/coding', { max_tokens: 5 })).toBe(5);
    expect(await sent('user-provider/local/small', { max_completion_tokens: 7 })).toBeUndefined();
  });
});
