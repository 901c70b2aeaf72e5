import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from '@aisbf/bus';
import { post, startHarness, type Harness } from './test-harness';

/**
 * `messages/count_tokens`, and every refusal of `messages` and `responses` in the client's own
 * shape (docs/clients.md): Anthropic clients read `{"type":"error","error":{…}}` from auth,
 * bad JSON, an unknown endpoint, a rate limit and a body too large; Responses clients OpenAI's.
 */
let h: Harness;
let limited: Harness;
const msg = { model: 'user-provider/oai/gpt-x', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };

beforeAll(async () => {
  h = await startHarness({
    providers: [{ id: 'oai', models: ['gpt-x'], mock: { words: 3 } }],
    deps: { limits: { maxBodyBytes: 4096 } },
  });
  limited = await startHarness({
    providers: [{ id: 'oai', models: ['gpt-x'], mock: { words: 3 } }],
    aliceTokenLimits: { requestsPerMinute: 1 },
    deps: { rateLimiter: createMemoryRateLimiter() },
  });
});
afterAll(async () => {
  await h.close();
  await limited.close();
});

const anthropicError = (e: unknown): { status: number; body: unknown } => {
  expect(e).toBeInstanceOf(Anthropic.APIError);
  const a = e as InstanceType<typeof Anthropic.APIError>;
  return { status: a.status ?? 0, body: a.error };
};

describe('messages/count_tokens', () => {
  it('answers input_tokens through the SDK on /v1, /api/u/{username} and /api/u/{username}/v1 (query ignored)', async () => {
    const counts: number[] = [];
    for (const baseURL of [h.url, h.aliceBase, `${h.aliceBase}/v1`.replace('/v1', '')]) {
      const client = new Anthropic({ apiKey: h.tokens.alice, baseURL, maxRetries: 0, defaultQuery: { beta: 'true' } });
      const counted = await client.messages.countTokens({
        model: 'user-provider/oai/gpt-x',
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'How many tokens is this sentence worth?' }],
      });
      counts.push(counted.input_tokens);
    }
    expect(counts[0]).toBeGreaterThan(3);
    expect(new Set(counts).size).toBe(1);
    // The /api/u/{username}/v1 spelling, raw (the SDK adds /v1 itself).
    const raw = await post(`${h.aliceBase}/v1/messages/count_tokens?beta=true`, h.tokens.alice, {
      model: 'user-provider/oai/gpt-x',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(raw.status).toBe(200);
    expect(JSON.parse(raw.text)).toEqual({ input_tokens: expect.any(Number) as number });
  });

  it('grows with the prompt and counts tools; no backend is called and nothing is billed', async () => {
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const before = h.mocks['oai']!.requests.length;
    const events = h.events.length;
    const small = await client.messages.countTokens({ ...msg, max_tokens: undefined } as never);
    const big = await client.messages.countTokens({
      model: msg.model,
      messages: [{ role: 'user', content: 'word '.repeat(400) }],
      tools: [{ name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' } }],
    });
    expect(big.input_tokens).toBeGreaterThan(small.input_tokens + 400);
    expect(h.mocks['oai']!.requests.length).toBe(before);
    expect(h.events.length).toBe(events);
  });

  it('refuses in Anthropic shape: a bad token, an unknown route, a body without messages', async () => {
    const anon = new Anthropic({ apiKey: 'aisbf_wrong', baseURL: h.url, maxRetries: 0 });
    const auth = anthropicError(await anon.messages.countTokens(msg).catch((e: unknown) => e));
    expect(auth).toMatchObject({ status: 401, body: { type: 'error', error: { type: 'authentication_error' } } });
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const nf = anthropicError(await client.messages.countTokens({ ...msg, model: 'nope' }).catch((e: unknown) => e));
    expect(nf).toMatchObject({ status: 404, body: { type: 'error', error: { type: 'not_found_error' } } });
    const bad = anthropicError(
      await client.messages.countTokens({ model: msg.model } as never).catch((e: unknown) => e),
    );
    expect(bad).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
  });
});

describe('Anthropic clients read every refusal in their own shape', () => {
  it('401 from a bad or missing key (x-api-key and Bearer)', async () => {
    for (const client of [
      new Anthropic({ apiKey: 'aisbf_wrong', baseURL: h.url, maxRetries: 0 }),
      new Anthropic({ apiKey: null, authToken: 'aisbf_wrong', baseURL: h.aliceBase, maxRetries: 0 }),
    ]) {
      const e = await client.messages.create(msg).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(anthropicError(e).body).toMatchObject({
        type: 'error',
        error: { type: 'authentication_error', message: expect.any(String) as string },
      });
    }
    const none = await post(`${h.v1}/messages`, null, msg, { 'anthropic-version': '2023-06-01' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('bad JSON is a 400 invalid_request_error', async () => {
    const r = await post(`${h.v1}/messages`, h.tokens.alice, '{"model": ', { 'anthropic-version': '2023-06-01' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('an unknown endpoint under messages/ (or sent with anthropic-version) is a 404 not_found_error', async () => {
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const batches = await client.messages.batches.list().catch((e: unknown) => e);
    expect(batches).toBeInstanceOf(Anthropic.NotFoundError);
    expect(anthropicError(batches).body).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const other = await post(`${h.v1}/complete`, h.tokens.alice, {}, { 'anthropic-version': '2023-06-01' });
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('a body over the limit is a 413 request_too_large', async () => {
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const e = await client.messages
      .create({ ...msg, messages: [{ role: 'user', content: 'x'.repeat(8000) }] })
      .catch((x: unknown) => x);
    expect(anthropicError(e)).toMatchObject({
      status: 413,
      body: { type: 'error', error: { type: 'request_too_large' } },
    });
  });

  it('a rate limit is a 429 rate_limit_error with Retry-After', async () => {
    const client = new Anthropic({ apiKey: limited.tokens.alice, baseURL: limited.url, maxRetries: 0 });
    await client.messages.create(msg);
    const e = await client.messages.create(msg).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    const a = e as InstanceType<typeof Anthropic.RateLimitError>;
    expect(a.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(Number(a.headers?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a wrong method is a 405 in Anthropic shape naming POST', async () => {
    const r = await fetch(`${h.v1}/messages`, {
      headers: { authorization: `Bearer ${h.tokens.alice}`, 'anthropic-version': '2023-06-01' },
    });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('Responses clients read every refusal in OpenAI shape', () => {
  const openai = (apiKey: string, baseURL: string): OpenAI => new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const req = { model: 'user-provider/oai/gpt-x', input: 'hi' };
  const openaiError = (e: unknown): { status: number; body: unknown } => {
    expect(e).toBeInstanceOf(OpenAI.APIError);
    const a = e as InstanceType<typeof OpenAI.APIError>;
    return { status: a.status ?? 0, body: a.error };
  };

  it('401, 404 unknown endpoint, 413, 429 through the openai SDK', async () => {
    const auth = await openai('aisbf_wrong', h.v1)
      .responses.create(req)
      .catch((e: unknown) => e);
    expect(openaiError(auth)).toMatchObject({ status: 401, body: { type: 'authentication_error' } });
    const unknown = await openai(h.tokens.alice, h.v1)
      .post('/responses/compact', { body: req })
      .catch((e: unknown) => e);
    expect(openaiError(unknown)).toMatchObject({ status: 404, body: { code: 'unknown_url' } });
    const big = await openai(h.tokens.alice, h.v1)
      .responses.create({ ...req, input: 'x'.repeat(8000) })
      .catch((e: unknown) => e);
    expect(openaiError(big)).toMatchObject({ status: 413, body: { code: 'request_too_large' } });
    const client = openai(limited.tokens.alice, limited.v1);
    // One request a minute: this one may already be over it (the Anthropic test shares the token).
    await client.responses.create(req).catch(() => undefined);
    const rate = await client.responses.create(req).catch((e: unknown) => e);
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect(openaiError(rate).body).toMatchObject({ type: 'rate_limit_error' });
  });

  it('bad JSON is a 400 invalid_json', async () => {
    const r = await post(`${h.v1}/responses`, h.tokens.alice, '{"input": ');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'invalid_json', type: 'invalid_request_error' } });
  });
});
