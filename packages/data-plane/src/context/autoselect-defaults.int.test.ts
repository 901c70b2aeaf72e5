import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md "Order of resolution": the autoselect's `default_*` keys are the last level,
 * applied per request to what the rotation and provider levels left unset.
 */
describe("an autoselect's default_* keys reach the upstream", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [{ id: 'local', models: ['plain', { name: 'bounded', limits: { maxTokens: 222 } }] }],
      rotations: [
        { id: 'coding', config: { providers: [{ provider_id: 'local', model: 'plain' }] } },
        { id: 'front', config: { providers: [{ route: 'user-autoselect/outer' }] } },
      ],
      autoselects: [
        {
          id: 'eng',
          config: {
            fallback: 'user-rotation/coding',
            classify_semantic: false,
            classify_privacy: false,
            default_max_tokens: 777,
            available_models: [{ model_id: 'user-rotation/coding', description: 'Coding.' }],
          },
        },
        {
          id: 'outer',
          config: {
            fallback: 'user-provider/local/plain',
            classify_semantic: false,
            classify_privacy: false,
            default_max_tokens: 555,
            available_models: [{ model_id: 'user-provider/local/plain', description: 'Plain.' }],
          },
        },
        {
          id: 'tight',
          config: {
            fallback: 'user-provider/local/bounded',
            classify_semantic: false,
            classify_privacy: false,
            default_max_tokens: 555,
            available_models: [{ model_id: 'user-provider/local/bounded', description: 'Bounded.' }],
          },
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

  it("sends the autoselect's default_max_tokens when the chosen entry sets none", async () => {
    expect(await sent('user-autoselect/eng')).toBe(777);
  });

  it('sends nothing on the same rotation reached without the autoselect', async () => {
    expect(await sent('user-rotation/coding')).toBeUndefined();
  });

  it('an autoselect met as a rotation entry applies its own defaults', async () => {
    expect(await sent('user-rotation/front')).toBe(555);
  });

  it("a model's own max_tokens outranks the autoselect's default", async () => {
    expect(await sent('user-autoselect/tight')).toBe(222);
  });

  it("the client's own bound still wins", async () => {
    expect(await sent('user-autoselect/eng', { max_tokens: 9 })).toBe(9);
  });
});
