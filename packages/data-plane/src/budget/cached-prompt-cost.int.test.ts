import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { readUsage } from '../proxy/chunk-facts';
import { post, startHarness, type Harness } from '../test-harness';

it('reads cached prompt tokens from usage, never more than the prompt', () => {
  expect(readUsage({ prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 60 } })).toEqual(
    { prompt: 100, completion: 7, cached: 60 },
  );
  expect(readUsage({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 60 } })).toEqual({
    prompt: 10,
    completion: 0,
    cached: 10,
  });
  expect(readUsage({ prompt_tokens: 10, completion_tokens: 2 })).toEqual({ prompt: 10, completion: 2, cached: 0 });
});

let h: Harness | undefined;
let backend: Server | undefined;
afterEach(async () => {
  await h?.close();
  backend?.closeAllConnections();
  await new Promise<void>((resolve) => (backend === undefined ? resolve() : backend.close(() => resolve())));
  h = undefined;
  backend = undefined;
});

it('bills cached prompt tokens at the cached_prompt price', async () => {
  // A mock LLM backend whose answer reports prompt-cache hits (OpenAI's prompt_tokens_details).
  backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        created: 1,
        model: 'm1',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: 1000,
          completion_tokens: 10,
          total_tokens: 1010,
          prompt_tokens_details: { cached_tokens: 800 },
        },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => backend!.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
  h = await startHarness({
    providers: [
      {
        id: 'p',
        models: [{ name: 'm1', pricing: { prompt: 10, completion: 20, cached_prompt: 1 } }],
        deadEndpoint: true,
        extra: { endpoint },
      },
    ],
  });
  const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
    model: 'user-provider/p/m1',
    messages: [{ role: 'user', content: 'x' }],
  });
  expect(res.status).toBe(200);
  // 200 uncached × 10 + 800 cached × 1 + 10 completion × 20 = 3000 micros
  expect(h.events.at(-1)).toMatchObject({ promptTokens: 1000, completionTokens: 10, costMicros: 3000 });
  expect(res.headers.get('x-aisbf-cost')).toBe('0.003000');
});
