import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from './test-harness';

/**
 * The bytes of an Anthropic pass-through stream (docs/clients.md "Pass-through"), read by read,
 * from an upstream that writes exactly what each test scripts: named frames go to the client as
 * they came, an unnamed one gets its type's name, a payload that is not JSON is dropped and
 * counted, usage is read off `message_start`/`message_delta`, and a frame with no end is cut at
 * the cap with Anthropic's `event: error`.
 */
const MiB = 1024 * 1024;
const named = (data: Record<string, unknown>): string =>
  `event: ${String(data['type'])}\ndata: ${JSON.stringify(data)}\n\n`;
const delta = (text: string): Record<string, unknown> => ({
  type: 'content_block_delta',
  index: 0,
  delta: { type: 'text_delta', text },
});
const opening =
  named({
    type: 'message_start',
    message: {
      id: 'msg_raw',
      type: 'message',
      role: 'assistant',
      model: 'claude-r',
      content: [],
      usage: { input_tokens: 11, output_tokens: 1 },
    },
  }) +
  'event: ping\ndata: {"type": "ping"}\n\n' +
  named({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
  named(delta('Hello'));
const closing =
  named({ type: 'content_block_stop', index: 0 }) +
  named({
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 7 },
  }) +
  named({ type: 'message_stop' });

/** Writes each scripted read on its own (a pause between them), or floods one frame that never ends. */
class ScriptedAnthropic {
  reads: string[] = [];
  flood = false;
  closedEarly: boolean[] = [];
  url = '';
  private server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void this.answer(res));
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(res: ServerResponse): Promise<void> {
    let closed = false;
    res.on('close', () => (closed = true));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const read of this.reads) {
      res.write(read);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    if (this.flood) {
      res.write(
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
      );
      const piece = 'x'.repeat(64 * 1024);
      // Far more than loopback's socket buffers may hold (tens of MiB with autotuning), so the
      // upstream sees its connection closed only if the gateway stopped reading near 1 MiB.
      for (let written = 0; written < 64 * MiB && !closed; written += piece.length)
        if (!res.write(piece))
          await new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done).off('close', done);
              resolve();
            };
            res.on('drain', done).on('close', done);
          });
      this.closedEarly.push(closed);
    }
    res.end();
  }
}

describe('Anthropic pass-through framing', () => {
  const upstream = new ScriptedAnthropic();
  let h: Harness;

  beforeAll(async () => {
    await upstream.start();
    h = await startHarness({
      providers: [
        { id: 'raw', deadEndpoint: true, models: ['claude-r'], extra: { type: 'anthropic', endpoint: upstream.url } },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
    await upstream.close();
  });

  const send = (): ReturnType<typeof post> =>
    post(
      `${h.v1}/messages`,
      h.tokens.alice,
      {
        model: 'user-provider/raw/claude-r',
        max_tokens: 50,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      },
      { 'anthropic-version': '2023-06-01' },
    );
  const malformedCount = async (): Promise<number> => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    return Number(/^aisbf_stream_malformed_chunks_total (\d+)/m.exec(text)?.[1] ?? 0);
  };

  it('named frames arrive as sent, an unnamed one gets its name, a non-JSON payload is dropped and counted', async () => {
    const broken = 'event: content_block_delta\ndata: {"type":"content_block_delta"\n\n';
    const renamed = `event: content_block_delta\ndata: ${JSON.stringify(delta(' and'))}\n\n`;
    upstream.flood = false;
    upstream.reads = [
      opening,
      named(delta(' big')) + broken + named(delta(' wide')),
      `data: ${JSON.stringify(delta(' and'))}\n\n`,
      // A name the vendor chose is kept: the client reads what the vendor sent.
      `event: content_block_delta\ndata: ${JSON.stringify(delta(' "quoted" é'))}\n\n` + closing,
    ];
    const before = await malformedCount();
    const r = await send();
    expect(r.status).toBe(200);
    expect(r.text).toBe(
      opening +
        named(delta(' big')) +
        named(delta(' wide')) +
        renamed +
        `event: content_block_delta\ndata: ${JSON.stringify(delta(' "quoted" é'))}\n\n` +
        closing,
    );
    expect(await malformedCount()).toBe(before + 1);
    await expect.poll(() => h.events.length).toBeGreaterThan(0);
    expect(h.events.at(-1)).toMatchObject({ outcome: 'ok', promptTokens: 11, completionTokens: 7, estimated: false });
  });

  it('a frame with no end after the first token: cut at the cap, an Anthropic error event naming the cause', async () => {
    upstream.reads = [opening];
    upstream.flood = true;
    const events = h.events.length;
    const r = await send();
    expect(r.status).toBe(200);
    expect(r.text.startsWith(opening)).toBe(true);
    // Nothing of the oversized frame reached the client: only its error event follows.
    const rest = r.text.slice(opening.length);
    expect(rest.length).toBeLessThan(4096);
    const [name, data] = rest.trimEnd().split('\n');
    expect(name).toBe('event: error');
    expect(JSON.parse(data!.slice(6))).toMatchObject({
      type: 'error',
      error: { message: expect.stringContaining('stream frame over 1 MiB') },
    });
    await expect.poll(() => upstream.closedEarly.length).toBe(1);
    expect(upstream.closedEarly[0]).toBe(true);
    await expect.poll(() => h.events.length).toBe(events + 1);
    expect(h.events.at(-1)).toMatchObject({ outcome: 'interrupted', promptTokens: 11 });
    expect(h.events.at(-1)!.attempts).toEqual([
      expect.objectContaining({ outcome: 'interrupted', detail: 'frame_too_large' }),
    ]);
  });
});
