import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSseText } from '@aisbf/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from './test-harness';
import { MAX_STREAM_FRAME_CHARS } from './upstream/max-stream-frame';

// docs/security.md, second review, finding 13: a user's provider that starts an SSE frame and never
// ends it had the whole frame buffered by the node. Past 1 MiB the stream now ends with the
// dialect's interruption event, the usage record says why, the upstream is cut, and the node serves on.
const MiB = 1024 * 1024;
const chunk = (content: string): string =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-flood',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm1',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;

/** An OpenAI-compatible upstream: `flood` sends one chunk, then up to 64 MiB of one frame with no end. */
class FloodUpstream {
  mode: 'flood' | 'flood-first' | 'ok' = 'flood';
  /** Frame bytes written before the gateway closed the connection (or all of them). */
  written: number[] = [];
  closedEarly: boolean[] = [];
  private server: Server = createServer((req, res) => void this.answer(req.url ?? '', res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(url: string, res: ServerResponse): Promise<void> {
    if (!url.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (this.mode === 'ok') {
      res.end(`${chunk('Hello')}${chunk(' again')}data: [DONE]\n\n`);
      return;
    }
    if (this.mode === 'flood') res.write(chunk('Hello'));
    res.write('data: {"choices":[{"index":0,"delta":{"content":"');
    const piece = 'x'.repeat(64 * 1024);
    let written = 0;
    let closed = false;
    res.on('close', () => (closed = true));
    // Far more than loopback's socket buffers may hold (tens of MiB with receive autotuning): only a
    // gateway that stops reading ends it early.
    while (written < 64 * MiB && !closed) {
      written += piece.length;
      if (!res.write(piece))
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done).off('close', done);
            resolve();
          };
          res.on('drain', done).on('close', done);
        });
    }
    this.written.push(written);
    this.closedEarly.push(closed);
  }
}

describe('an upstream SSE frame with no end', () => {
  let h: Harness;
  const upstream = new FloodUpstream();

  beforeAll(async () => {
    await upstream.start();
    h = await startHarness({
      providers: [{ id: 'flood', models: ['m1'], extra: { endpoint: upstream.url } }],
    });
  });
  afterAll(async () => {
    await h?.close();
    await upstream.close();
  });

  const ask = (stream: boolean) =>
    post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'user-provider/flood/m1',
      messages: [{ role: 'user', content: 'hi' }],
      stream,
    });

  it('after the first token: one interruption event naming the cause, the upstream cut, the usage record says why', async () => {
    upstream.mode = 'flood';
    const res = await ask(true);
    expect(res.status).toBe(200);
    const t = parseSseText(res.text);
    expect(t.text).toBe('Hello');
    expect(t.done).toBe(false);
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'upstream_stream_interrupted', type: 'upstream_error' });
    expect((t.errors[0] as { message: string }).message).toContain('sent a stream frame over 1 MiB without its end');
    // Nothing of the oversized frame reached the client.
    expect(res.text.length).toBeLessThan(4096);
    await expect.poll(() => upstream.closedEarly.length).toBe(1);
    expect(upstream.closedEarly[0]).toBe(true);
    expect(upstream.written[0]).toBeLessThan(64 * MiB);
    await expect.poll(() => h.events.length).toBe(1);
    expect(h.events[0]).toMatchObject({ outcome: 'interrupted', provider: 'flood' });
    expect(h.events[0]!.attempts).toEqual([
      expect.objectContaining({ outcome: 'interrupted', detail: 'frame_too_large' }),
    ]);
  });

  it('before the first token: a 502 in the OpenAI shape naming the cause', async () => {
    upstream.mode = 'flood-first';
    const res = await ask(true);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toMatchObject({
      error: { message: expect.stringContaining('stream frame over 1 MiB') },
    });
    await expect.poll(() => h.events.length).toBe(2);
    expect(h.events[1]!.attempts.at(-1)).toMatchObject({ outcome: 'error', detail: 'frame_too_large' });
  });

  it('the next request is served normally', async () => {
    upstream.mode = 'ok';
    const res = await ask(true);
    expect(res.status).toBe(200);
    const t = parseSseText(res.text);
    expect(t.text).toBe('Hello again');
    expect(t.done).toBe(true);
    expect(MAX_STREAM_FRAME_CHARS).toBe(MiB);
  });
});
