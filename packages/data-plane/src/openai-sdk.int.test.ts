import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, words, type Harness } from './test-harness';

describe('data plane through the official openai SDK', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        {
          id: 'coderai-local',
          models: ['qwen2.5-coder:32b', { name: 'm-defaults', defaults: { max_tokens: 77, temperature: 0.3 } }],
        },
        { id: 'hf', ownerId: null, models: ['meta-llama/Llama-3.1-8B:Q4'] },
      ],
      rotations: [
        {
          id: 'coding',
          config: { providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 6 }] },
        },
      ],
    });
  });
  afterAll(async () => h.close());

  const client = (base: string, token: string): OpenAI => new OpenAI({ baseURL: base, apiKey: token, maxRetries: 0 });

  it.each(['aliceBase', 'v1'] as const)('non-stream chat via %s', async (base) => {
    const completion = await client(h[base], h.tokens.alice).chat.completions.create({
      model: 'user-rotation/coding',
      messages: [{ role: 'user', content: 'hi there' }],
    });
    expect(completion.choices[0]?.message.content).toBe(words(1, 60));
    expect(completion.model).toBe('qwen2.5-coder:32b');
    const event = h.events.at(-1)!;
    expect(event).toMatchObject({
      userId: 'u-alice',
      tokenId: 't-alice',
      route: 'user-rotation/coding',
      provider: 'coderai-local',
      model: 'qwen2.5-coder:32b',
      status: 200,
      outcome: 'ok',
      estimated: false,
      completionTokens: 60,
      stream: false,
    });
    expect(event.attempts).toEqual([
      expect.objectContaining({ provider: 'coderai-local', outcome: 'ok', status: 200 }),
    ]);
  });

  it('stream chat arrives chunk by chunk and ends cleanly', async () => {
    const stream = await client(h.v1, h.tokens.alice).chat.completions.create({
      model: 'user-provider/coderai-local/qwen2.5-coder:32b',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      chunks++;
    }
    expect(text).toBe(words(1, 60));
    expect(chunks).toBeGreaterThanOrEqual(60);
    const event = h.events.at(-1)!;
    expect(event).toMatchObject({ stream: true, outcome: 'ok', completionTokens: 60, estimated: false });
  });

  it('adds include_usage upstream but strips the usage trailer unless the client asked', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-provider/coderai-local/qwen2.5-coder:32b',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.text).not.toContain('"usage"');
    expect(res.text.endsWith('data: [DONE]\n\n')).toBe(true);
    const upstream = h.mocks['coderai-local']!.requests.at(-1)!;
    expect(upstream.body).toMatchObject({ stream_options: { include_usage: true } });
    const asked = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-provider/coderai-local/qwen2.5-coder:32b',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(asked.text).toContain('"usage"');
  });

  it('models list names exactly the callable routes', async () => {
    const ids: string[] = [];
    for await (const m of client(h.aliceBase, h.tokens.alice).models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(
      [
        'provider/hf/meta-llama/Llama-3.1-8B:Q4',
        'user-provider/coderai-local/m-defaults',
        'user-provider/coderai-local/qwen2.5-coder:32b',
        'user-rotation/coding',
      ].sort(),
    );
    const bobIds: string[] = [];
    for await (const m of client(h.v1, h.tokens.bob).models.list()) bobIds.push(m.id);
    expect(bobIds).toEqual(['provider/hf/meta-llama/Llama-3.1-8B:Q4']);
  });

  it('forwards every field unchanged, rewrites only model, fills defaults only where omitted, injects the provider key', async () => {
    const body = {
      model: 'user-provider/coderai-local/m-defaults',
      messages: [{ role: 'user', content: 'x' }],
      top_p: 0.5,
      stop: ['\n'],
      seed: 7,
      n: 1,
      response_format: { type: 'text' },
      temperature: 0.9,
      user: 'end-user-1',
    };
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, body);
    expect(res.status).toBe(200);
    const upstream = h.mocks['coderai-local']!.requests.at(-1)!;
    expect(upstream.body).toEqual({ ...body, model: 'm-defaults', max_tokens: 77 });
    expect(upstream.headers['authorization']).toBe(`Bearer ${h.providerKey}`);
    expect(JSON.stringify(upstream.headers)).not.toContain(h.tokens.alice);
  });

  it('sends model names with slashes and colons verbatim (global shorthand)', async () => {
    const res = await post(`${h.v1}/chat/completions`, h.tokens.bob, {
      model: 'hf/meta-llama/Llama-3.1-8B:Q4',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res.status).toBe(200);
    expect(h.mocks['hf']!.requests.at(-1)!.body).toMatchObject({ model: 'meta-llama/Llama-3.1-8B:Q4' });
    expect(res.headers.get('x-aisbf-route')).toBe('provider/hf/meta-llama/Llama-3.1-8B:Q4');
  });

  it('completions and embeddings go through too', async () => {
    const c = client(h.v1, h.tokens.alice);
    const completion = await c.completions.create({
      model: 'user-provider/coderai-local/qwen2.5-coder:32b',
      prompt: 'say',
    });
    expect(completion.choices[0]?.text).toBe(words(1, 60));
    const emb = await c.embeddings.create({ model: 'user-provider/coderai-local/qwen2.5-coder:32b', input: 'abc' });
    expect(emb.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(h.events.at(-1)).toMatchObject({ endpoint: 'embeddings', outcome: 'ok' });
  });

  it('sets the routing headers on every answer', async () => {
    const res = await post(
      `${h.v1}/chat/completions`,
      h.tokens.alice,
      { model: 'coding', messages: [{ role: 'user', content: 'x' }] },
      { 'x-request-id': 'req-123' },
    );
    expect(
      Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('x-aisbf') || k === 'x-request-id')),
    ).toEqual({
      'x-request-id': 'req-123',
      'x-aisbf-route': 'user-rotation/coding',
      'x-aisbf-provider': 'coderai-local',
      'x-aisbf-model': 'qwen2.5-coder:32b',
      'x-aisbf-attempts': '1',
      'x-aisbf-overhead-ms': expect.stringMatching(/^\d+\.\d{3}$/),
      // The seed's models carry no price (docs/usage.md: flagged, never a silent 0).
      'x-aisbf-cost': 'unpriced',
    });
  });

  it('errors reach the SDK as typed OpenAI errors', async () => {
    await expect(
      client(h.v1, 'aisbf_wrong').chat.completions.create({
        model: 'coding',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client(h.v1, h.tokens.alice).chat.completions.create({
        model: 'user-rotation/nope',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(
      client(`${h.url}/api/u/bob`, h.tokens.alice).chat.completions.create({
        model: 'coding',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });
});

describe('data plane edge errors are OpenAI-shaped', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [{ id: 'p', models: ['m1'] }],
      deps: { limits: { maxBodyBytes: 2048, maxJsonDepth: 16 } },
    });
  });
  afterAll(async () => h.close());

  const expectError = (res: { status: number; text: string }, status: number, code: string): void => {
    expect(res.status).toBe(status);
    const body = JSON.parse(res.text) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error['code']).toBe(code);
    expect(res.text).not.toMatch(/<html|at \w+ \(/i);
  };

  it.each([
    ['no token', null, { model: 'p/m1' }, 401, 'missing_api_key'],
    ['bad JSON', 'alice', '{"model":', 400, 'invalid_json'],
    ['not an object', 'alice', '[1,2]', 400, 'invalid_request'],
    ['missing model', 'alice', { messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_request'],
    ['missing messages', 'alice', { model: 'user-provider/p/m1' }, 400, 'invalid_request'],
    ['wrong types', 'alice', { model: 'user-provider/p/m1', messages: 'hi' }, 400, 'invalid_request'],
    ['invalid route', 'alice', { model: 'Bad Name', messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_model'],
    ['too deep', 'alice', '{"model":"x","messages":' + '['.repeat(40) + ']'.repeat(40) + '}', 400, 'invalid_request'],
    [
      'too large',
      'alice',
      { model: 'user-provider/p/m1', messages: [{ role: 'user', content: 'x'.repeat(5000) }] },
      413,
      'request_too_large',
    ],
    [
      'expired token',
      'expired',
      { model: 'user-provider/p/m1', messages: [{ role: 'user', content: 'x' }] },
      401,
      'expired_api_key',
    ],
  ] as const)('%s', async (_name, who, body, status, code) => {
    const token = who === null ? null : h.tokens[who];
    expectError(await post(`${h.v1}/chat/completions`, token, body), status, code);
  });

  it('x-api-key works like a bearer token; unknown paths under /v1 are 404; other paths are not ours', async () => {
    const res = await fetch(`${h.v1}/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': h.tokens.alice, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'user-provider/p/m1', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    expectError(await post(`${h.v1}/nope`, h.tokens.alice, {}), 404, 'unknown_url');
    expect((await fetch(`${h.url}/graphql`)).status).toBe(418);
  });

  it('serves the AISBF global path /api/v1 too', async () => {
    const res = await post(`${h.url}/api/v1/chat/completions`, h.tokens.alice, {
      model: 'user-provider/p/m1',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res.status).toBe(200);
    const models = await fetch(`${h.url}/api/v1/models`, { headers: { authorization: `Bearer ${h.tokens.alice}` } });
    expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toEqual([
      'user-provider/p/m1',
    ]);
  });

  it('a new snapshot takes effect on the next request: revoked tokens and disabled users are refused', async () => {
    const ask = () =>
      post(`${h.v1}/chat/completions`, h.tokens.bob, {
        model: 'user-provider/p/m1',
        messages: [{ role: 'user', content: 'x' }],
      });
    expect((await ask()).status).toBe(404);
    h.plane.setSnapshot({
      ...h.snapshot,
      version: 2,
      users: h.snapshot.users.map((u) => (u.username === 'bob' ? { ...u, disabled: true } : u)),
    });
    expectError(await ask(), 403, 'user_disabled');
    h.plane.setSnapshot({ ...h.snapshot, version: 3, tokens: h.snapshot.tokens.filter((t) => t.id !== 't-bob') });
    expectError(await ask(), 401, 'invalid_api_key');
    h.plane.setSnapshot(h.snapshot);
  });

  it('an admin may act for another user; readiness follows the snapshot', async () => {
    const res = await post(`${h.url}/api/u/alice/chat/completions`, h.tokens.root, {
      model: 'user-provider/p/m1',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});

describe('readiness before the first snapshot', () => {
  it('answers 503 on /readyz and on the API until a snapshot is set', async () => {
    const h = await startHarness({ providers: [{ id: 'p' }], noSnapshot: true });
    try {
      expect((await fetch(`${h.url}/readyz`)).status).toBe(503);
      const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'user-provider/p/m1', messages: [] });
      expect(res.status).toBe(503);
      h.plane.setSnapshot(h.snapshot);
      expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});
