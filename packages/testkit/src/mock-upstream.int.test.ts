import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from './mock-upstream';
import { parseSseText } from './sse-text';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream({ models: ['m1', 'qwen2.5-coder:32b'], words: 10 });
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

const ALL = 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10';

function chat(body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return fetch(`${mock.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hello there' }], ...body }),
    ...init,
  });
}

/** Reads a body chunk by chunk; resolves with what arrived and how it ended. */
async function readAll(res: Response, idleMs = 1000): Promise<{ text: string; ended: 'done' | 'error' | 'idle' }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      timer = setTimeout(() => resolve('idle'), idleMs);
    });
    try {
      const next = await Promise.race([reader.read(), idle]);
      if (next === 'idle') {
        await reader.cancel();
        return { text, ended: 'idle' };
      }
      if (next.done) return { text, ended: 'done' };
      text += decoder.decode(next.value, { stream: true });
    } catch {
      return { text, ended: 'error' };
    } finally {
      clearTimeout(timer);
    }
  }
}

describe('mock upstream answers', () => {
  it('answers a chat completion with the deterministic words and usage', async () => {
    const res = await chat({});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-mock-request')).toBe('1');
    const body = (await res.json()) as {
      id: string;
      model: string;
      choices: Array<{ message: { content: string } }>;
      usage: Record<string, number>;
    };
    expect(body.id).toMatch(/^chatcmpl-mock-/);
    expect(body.model).toBe('m1');
    expect(body.choices[0]?.message.content).toBe(ALL);
    expect(body.usage).toEqual({ prompt_tokens: 2, completion_tokens: 10, total_tokens: 12 });
    expect(mock.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      aborted: false,
      chunksSent: 10,
    });
    expect(mock.requests[0]?.body).toMatchObject({ model: 'm1' });
  });

  it('streams one word per chunk, usage only when asked, then [DONE]', async () => {
    const plain = parseSseText(await (await chat({ stream: true })).text());
    expect(plain.text).toBe(ALL);
    expect(plain.done).toBe(true);
    expect(plain.json.some((c) => (c as { usage?: unknown }).usage !== undefined)).toBe(false);
    const withUsage = parseSseText(
      await (await chat({ stream: true, stream_options: { include_usage: true } })).text(),
    );
    const contentChunks = withUsage.json.filter(
      (c) => (c as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content !== undefined,
    );
    expect(contentChunks).toHaveLength(10);
    expect(withUsage.json.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 10 } });
  });

  it('continues an assistant prefill so prefill + continuation is the whole answer', async () => {
    const messages = [
      { role: 'user', content: 'count' },
      { role: 'assistant', content: 'w1 w2 w3 w4' },
    ];
    const res = await chat({ messages, stream: true, stream_options: { include_usage: true } });
    const sse = parseSseText(await res.text());
    expect(sse.text).toBe(' w5 w6 w7 w8 w9 w10');
    expect(`w1 w2 w3 w4${sse.text}`).toBe(ALL);
    expect(sse.json.at(-1)).toMatchObject({ usage: { completion_tokens: 6 } });
  });

  it('serves models, legacy completions and embeddings', async () => {
    const models = (await (await fetch(`${mock.url}/models`)).json()) as {
      object: string;
      data: Array<{ id: string }>;
    };
    expect(models.object).toBe('list');
    expect(models.data.map((m) => m.id)).toEqual(['m1', 'qwen2.5-coder:32b']);
    const completion = await fetch(`${mock.url}/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'qwen2.5-coder:32b', prompt: 'a b c', stream: true }),
    });
    const sse = parseSseText(await completion.text());
    expect(sse.text).toBe(ALL);
    expect(sse.json[0]).toMatchObject({ object: 'text_completion', model: 'qwen2.5-coder:32b' });
    const emb = (await (
      await fetch(`${mock.url}/embeddings`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm1', input: ['a', 'a', 'b'] }),
      })
    ).json()) as { data: Array<{ embedding: number[] }> };
    expect(emb.data).toHaveLength(3);
    expect(emb.data[0]?.embedding).toEqual(emb.data[1]?.embedding);
    expect(emb.data[0]?.embedding).not.toEqual(emb.data[2]?.embedding);
  });

  it('rejects unknown models, routes and bad JSON in OpenAI error shape', async () => {
    const unknown = await chat({ model: 'nope' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'model_not_found' } });
    expect((await fetch(`${mock.url}/nothing`)).status).toBe(404);
    const bad = await fetch(`${mock.url}/chat/completions`, { method: 'POST', body: '{oops' });
    expect(bad.status).toBe(400);
  });
});

describe('mock upstream faults', () => {
  it('consumes queued faults FIFO, then falls back to the default', async () => {
    mock.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 503, headers: { 'x-extra': 'yes' } });
    mock.setDefault({ kind: 'status', status: 502 });
    const first = await chat({});
    const second = await chat({});
    const third = await chat({});
    expect([first.status, second.status, third.status]).toEqual([500, 503, 502]);
    expect(second.headers.get('x-extra')).toBe('yes');
    expect(await first.json()).toMatchObject({ error: { type: 'server_error' } });
    expect(mock.pending()).toBe(0);
    mock.reset();
    expect((await chat({})).status).toBe(200);
    expect(mock.requests).toHaveLength(1);
  });

  it('applies a fault carrying a model to that model only', async () => {
    mock.enqueue({ kind: 'status', status: 500, model: 'qwen2.5-coder:32b' });
    mock.setDefault({ kind: 'context-length', model: 'm1' });
    expect((await chat({ model: 'qwen2.5-coder:32b' })).status).toBe(500);
    expect((await chat({ model: 'qwen2.5-coder:32b' })).status).toBe(200);
    const m1 = await chat({});
    expect(m1.status).toBe(400);
    expect(await m1.json()).toMatchObject({
      error: { code: 'context_length_exceeded', type: 'invalid_request_error' },
    });
  });

  it('lets GET /models take only the faults that mean something for it', async () => {
    mock.enqueue({ kind: 'cut', afterChunks: 1 }, { kind: 'status', status: 500 });
    expect((await fetch(`${mock.url}/models`)).status).toBe(500);
    expect((await fetch(`${mock.url}/models`)).status).toBe(200);
    expect(mock.pending()).toBe(1);
    const out = await readAll(await chat({ stream: true }));
    expect(parseSseText(out.text).text).toBe('w1');
  });

  it('rate-limits with and without Retry-After', async () => {
    mock.enqueue({ kind: 'rate-limit', retryAfterS: 2 }, { kind: 'rate-limit' });
    const withHeader = await chat({});
    const without = await chat({});
    expect(withHeader.status).toBe(429);
    expect(withHeader.headers.get('retry-after')).toBe('2');
    expect(without.status).toBe(429);
    expect(without.headers.get('retry-after')).toBeNull();
  });

  it('hangs without headers until the client gives up, and records the abort', async () => {
    mock.enqueue({ kind: 'hang' });
    const started = Date.now();
    await expect(chat({}, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await mock.waitFor((r) => r[0]?.aborted === true, 2000);
  });

  it('resets the connection before answering', async () => {
    mock.enqueue({ kind: 'reset' });
    await expect(chat({})).rejects.toThrow();
    await mock.waitFor((r) => r[0]?.endedAt !== null);
    expect(mock.requests[0]?.aborted).toBe(false);
  });

  it('sends headers at once and the first token late (stream and non-stream)', async () => {
    mock.enqueue({ kind: 'slow-first-token', delayMs: 200 }, { kind: 'slow-first-token', delayMs: 200 });
    let started = Date.now();
    const res = await chat({ stream: true });
    expect(Date.now() - started).toBeLessThan(150);
    const sse = parseSseText(await res.text());
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(sse.text).toBe(ALL);
    started = Date.now();
    const whole = await chat({});
    expect(Date.now() - started).toBeLessThan(150);
    expect(
      ((await whole.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content,
    ).toBe(ALL);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('cuts a stream after N content chunks', async () => {
    mock.enqueue({ kind: 'cut', afterChunks: 4 });
    const out = await readAll(await chat({ stream: true }));
    expect(out.ended).toBe('error');
    const sse = parseSseText(out.text);
    expect(sse.text).toBe('w1 w2 w3 w4');
    expect(sse.done).toBe(false);
    await mock.waitFor((r) => r[0]?.endedAt !== null);
    expect(mock.requests[0]).toMatchObject({ chunksSent: 4, aborted: false });
  });

  it('stalls a stream after N chunks with the socket open, until the client leaves', async () => {
    mock.enqueue({ kind: 'stall', afterChunks: 3 });
    const out = await readAll(await chat({ stream: true }), 250);
    expect(out.ended).toBe('idle');
    expect(parseSseText(out.text).text).toBe('w1 w2 w3');
    await mock.waitFor((r) => r[0]?.aborted === true, 2000);
  });

  it('puts one malformed line among good chunks', async () => {
    mock.enqueue({ kind: 'malformed-chunk', atChunk: 5 });
    const sse = parseSseText(await (await chat({ stream: true })).text());
    expect(sse.malformed).toEqual(['{not json']);
    expect(sse.text).toBe(ALL);
    expect(sse.done).toBe(true);
    expect(sse.data.indexOf('{not json')).toBe(5);
  });

  it('ends a stream cleanly without [DONE]', async () => {
    mock.enqueue({ kind: 'no-done' });
    const out = await readAll(await chat({ stream: true, stream_options: { include_usage: true } }));
    expect(out.ended).toBe('done');
    const sse = parseSseText(out.text);
    expect(sse.text).toBe(ALL);
    expect(sse.done).toBe(false);
    expect(sse.json.at(-1)).toMatchObject({ usage: { completion_tokens: 10 } });
  });

  it('answers the typed 400s', async () => {
    mock.enqueue({ kind: 'content-filter' }, { kind: 'context-length' });
    const filtered = await chat({});
    expect(filtered.status).toBe(400);
    expect(await filtered.json()).toMatchObject({ error: { code: 'content_policy_violation' } });
    expect(await (await chat({})).json()).toMatchObject({ error: { code: 'context_length_exceeded' } });
  });

  it('refuses a prefill but answers a plain request', async () => {
    mock.setDefault({ kind: 'refuse-prefill' });
    const prefill = await chat({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'w1 w2' },
      ],
    });
    expect(prefill.status).toBe(400);
    expect(await prefill.json()).toMatchObject({ error: { code: 'prefill_not_supported' } });
    expect((await chat({})).status).toBe(200);
  });

  it('delays a whole answer, headers included', async () => {
    mock.enqueue({ kind: 'delay', ms: 150 });
    const started = Date.now();
    const res = await chat({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
  });

  it('answers with as many words as an ok fault asks for, per model', async () => {
    mock.setDefault({ kind: 'ok', model: 'm1', words: 1 });
    const whole = (await (await chat({})).json()) as { choices: Array<{ message: { content: string } }> };
    expect(whole.choices[0]?.message.content).toBe('w1');
    const stream = await (await chat({ stream: true })).text();
    expect(mock.requests.at(-1)?.chunksSent).toBe(1);
    expect(stream).toContain('data: [DONE]');
  });

  it('records a client that disconnects mid-stream as aborted', async () => {
    mock.enqueue({ kind: 'ok', chunkDelayMs: 30 });
    const controller = new AbortController();
    const res = await chat({ stream: true }, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await mock.waitFor((r) => r[0]?.aborted === true, 2000);
    expect(mock.requests[0]?.chunksSent).toBeLessThan(10);
  });

  it('checks the API key when configured', async () => {
    const keyed = await startMockUpstream({ apiKey: 'sk-mock' });
    try {
      const denied = await fetch(`${keyed.url}/models`);
      expect(denied.status).toBe(401);
      const allowed = await fetch(`${keyed.url}/models`, { headers: { authorization: 'Bearer sk-mock' } });
      expect(allowed.status).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});
