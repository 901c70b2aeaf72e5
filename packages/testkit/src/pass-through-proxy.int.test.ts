import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from './mock-upstream';
import { startPassThroughProxy, type PassThroughProxy } from './pass-through-proxy';
import { parseSseText } from './sse-text';

let mock: MockUpstream;
let proxy: PassThroughProxy;
beforeAll(async () => {
  mock = await startMockUpstream({ words: 5 });
  proxy = await startPassThroughProxy({ upstream: mock.url, apiKey: 'sk-up' });
});
afterAll(async () => {
  await proxy.close();
  await mock.close();
});

it('forwards JSON with its own key and streams the answer back', async () => {
  const res = await fetch(`${proxy.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer client-token' },
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true, top_p: 0.5 }),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  expect(parseSseText(await res.text()).text).toBe('w1 w2 w3 w4 w5');
  const seen = mock.requests.at(-1);
  expect(seen?.headers['authorization']).toBe('Bearer sk-up');
  expect(seen?.body).toMatchObject({ top_p: 0.5 });
});

it('passes upstream statuses through and refuses bad JSON', async () => {
  mock.enqueue({ kind: 'status', status: 503 });
  expect(
    (
      await fetch(`${proxy.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm1', messages: [] }),
      })
    ).status,
  ).toBe(503);
  expect((await fetch(`${proxy.url}/chat/completions`, { method: 'POST', body: '{' })).status).toBe(400);
  expect((await fetch(`${proxy.url}/models`)).status).toBe(200);
});

it('aborts the upstream request when the client leaves mid-stream, and drops an answer whose client has gone', async () => {
  mock.enqueue({ kind: 'ok', chunkDelayMs: 200, words: 20 });
  const midStream = new AbortController();
  const res = await fetch(`${proxy.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    signal: midStream.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  const n = mock.requests.at(-1)!.n;
  midStream.abort();
  await mock.waitFor((requests) => requests.find((r) => r.n === n)?.aborted === true);

  // Headers only after 300 ms: the client is gone before the proxy has the upstream's answer.
  mock.enqueue({ kind: 'delay', ms: 300 });
  const early = new AbortController();
  const pending = fetch(`${proxy.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    signal: early.signal,
  }).catch(() => null);
  await mock.waitFor((requests) => requests.some((r) => r.n > n));
  early.abort();
  await pending;
  const second = mock.requests.find((r) => r.n > n)!;
  await mock.waitFor(() => second.endedAt !== null);
  // The answer came to a proxy whose client had gone: dropped, and the proxy is still up and serving.
  const after = await fetch(`${proxy.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true }),
  });
  expect(parseSseText(await after.text()).text).toBe('w1 w2 w3 w4 w5');
});
