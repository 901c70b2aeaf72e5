import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, words, type Harness } from './test-harness';

describe('route aliases: a client sending its own model names reaches a route', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'coderai-local', models: ['qwen2.5-coder:32b'], mock: { words: 5 } },
        { id: 'hosted', ownerId: null, models: ['gpt-4.1-mini'], mock: { words: 7 } },
      ],
      rotations: [
        {
          id: 'coding',
          config: {
            providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b' }],
            aliases: ['gpt-5-codex', 'claude-*'],
          },
        },
        {
          id: 'everyone',
          ownerId: null,
          config: { providers: [{ provider_id: 'hosted', model: 'gpt-4.1-mini' }], aliases: ['gpt-5-codex', 'gpt-*'] },
        },
      ],
    });
  });
  afterAll(async () => h.close());

  const client = (token: string): OpenAI => new OpenAI({ baseURL: h.v1, apiKey: token, maxRetries: 0 });

  it("serves chat and responses by the caller's own alias first, then a global one", async () => {
    const chat = await client(h.tokens.alice).chat.completions.create({
      model: 'claude-sonnet-4-5-20250929',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.choices[0]?.message.content).toBe(words(1, 5));
    // The answer names the model that served.
    expect(chat.model).toBe('qwen2.5-coder:32b');
    expect(h.events.at(-1)).toMatchObject({ route: 'claude-sonnet-4-5-20250929', provider: 'coderai-local' });
    const own = await client(h.tokens.alice).responses.create({ model: 'gpt-5-codex', input: 'hi' });
    expect(own.model).toBe('qwen2.5-coder:32b');
    const global = await client(h.tokens.bob).responses.create({ model: 'gpt-5-codex', input: 'hi' });
    expect(global.output_text).toBe(words(1, 7));
    expect(global.model).toBe('gpt-4.1-mini');
    const prefix = await client(h.tokens.alice).responses.create({ model: 'gpt-4o', input: 'hi' });
    expect(prefix.model).toBe('gpt-4.1-mini');
  });

  it('an unknown name that no alias matches stays a 404', async () => {
    const missing = client(h.tokens.bob).chat.completions.create({
      model: 'claude-opus-4',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('GET /models shows each route with its aliases, and exact aliases as callable names', async () => {
    const res = await fetch(`${h.v1}/models`, { headers: { authorization: `Bearer ${h.tokens.alice}` } });
    const list = (await res.json()) as { data: Array<Record<string, unknown>> };
    const byId = new Map(list.data.map((m) => [m['id'], m]));
    expect(byId.get('user-rotation/coding')).toMatchObject({ aliases: ['gpt-5-codex', 'claude-*'] });
    // alice's own route holds gpt-5-codex; the global route keeps only what is still free.
    expect(byId.get('rotation/everyone')).toMatchObject({ aliases: ['gpt-*'] });
    expect(byId.get('gpt-5-codex')).toMatchObject({ object: 'model', alias_of: 'user-rotation/coding' });
    expect(byId.has('claude-*')).toBe(false);
    const one = await fetch(`${h.v1}/models/gpt-5-codex`, { headers: { authorization: `Bearer ${h.tokens.bob}` } });
    expect(one.status).toBe(200);
  });
});
