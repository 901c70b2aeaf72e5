import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { startMockUpstream } from './mock-upstream';
import { connectMockUpstream } from './mock-upstream-client';
import type { MockFault } from './mock-fault';
import { spawnService } from './spawn-service';

const MAIN = fileURLToPath(new URL('./mock-upstream-main.ts', import.meta.url));

it('runs as a process, prints its URL, is scripted over /__mock and stops on SIGTERM', async () => {
  const service = await spawnService({ entry: MAIN, args: ['--port', '0', '--models', 'm1,m2', '--words', '5'] });
  try {
    const url = service.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const origin = url.replace(/\/v1$/, '');
    const models = (await (await fetch(`${url}/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['m1', 'm2']);
    const enq = await fetch(`${origin}/__mock/enqueue`, {
      method: 'POST',
      body: JSON.stringify([{ kind: 'status', status: 503 }]),
    });
    expect(enq.status).toBe(200);
    const bad = await fetch(`${origin}/__mock/enqueue`, {
      method: 'POST',
      body: JSON.stringify([{ kind: 'explode' }]),
    });
    expect(bad.status).toBe(400);
    const chat = (body: unknown): Promise<Response> =>
      fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
    expect((await chat({ model: 'm2', messages: [] })).status).toBe(503);
    const ok = (await (await chat({ model: 'm2', messages: [] })).json()) as {
      choices: Array<{ message: { content: string } }>;
    };
    expect(ok.choices[0]?.message.content).toBe('w1 w2 w3 w4 w5');
    const recorded = (await (await fetch(`${origin}/__mock/requests`)).json()) as Array<{ path: string }>;
    expect(recorded.map((r) => r.path)).toEqual(['/v1/models', '/v1/chat/completions', '/v1/chat/completions']);
    // The typed client over the same control endpoints.
    const remote = connectMockUpstream(url);
    await remote.setDefault({ kind: 'context-length', model: 'm1' });
    await remote.enqueue({ kind: 'status', status: 418, model: 'm2' });
    expect((await chat({ model: 'm1', messages: [] })).status).toBe(400);
    expect((await chat({ model: 'm2', messages: [] })).status).toBe(418);
    expect((await remote.requests()).map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    await remote.reset();
    expect(await remote.requests()).toEqual([]);
    expect((await chat({ model: 'm1', messages: [] })).status).toBe(200);
    await expect(remote.enqueue({ kind: 'nope' } as unknown as MockFault)).rejects.toThrow(/400/);
    expect(await service.stop()).toBe(0);
  } finally {
    await service.stop(0);
  }
});

const countHandles = (): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
};

it('close() leaves no open handles, even with hanging, stalled and delayed requests in flight', async () => {
  const before = countHandles();
  const mock = await startMockUpstream({ words: 20 });
  mock.enqueue(
    { kind: 'hang' },
    { kind: 'stall', afterChunks: 2 },
    { kind: 'delay', ms: 60_000 },
    { kind: 'slow-first-token', delayMs: 60_000 },
  );
  const post = (body: unknown): Promise<unknown> =>
    fetch(`${mock.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body) })
      .then((r) => r.text())
      .catch(() => 'closed');
  const inFlight = [0, 1, 2, 3].map(() => post({ model: 'm1', messages: [], stream: true }));
  await mock.waitFor((r) => r.length === 4);
  expect(countHandles()['TCPServerWrap'] ?? 0).toBeGreaterThan(before['TCPServerWrap'] ?? 0);
  await mock.close();
  await Promise.all(inFlight);
  // Client-side sockets notice the close asynchronously; give them a moment, never a long sleep.
  for (let i = 0; i < 50; i += 1) {
    const now = countHandles();
    if (
      (now['TCPServerWrap'] ?? 0) <= (before['TCPServerWrap'] ?? 0) &&
      (now['TCPSocketWrap'] ?? 0) <= (before['TCPSocketWrap'] ?? 0) &&
      (now['Timeout'] ?? 0) <= (before['Timeout'] ?? 0)
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const after = countHandles();
  expect(after['TCPServerWrap'] ?? 0).toBe(before['TCPServerWrap'] ?? 0);
  expect(after['TCPSocketWrap'] ?? 0).toBeLessThanOrEqual(before['TCPSocketWrap'] ?? 0);
  expect(after['Timeout'] ?? 0).toBeLessThanOrEqual(before['Timeout'] ?? 0);
});
