import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSseText } from '@aisbf/testkit';
import { startHarness, words, type Harness } from './test-harness';

/**
 * The event-driven relay (UpstreamCall#relay) pauses the upstream while the client's socket is
 * full and resumes on drain: a client that stops reading for a while still gets the whole answer,
 * byte for byte, ending with [DONE], and the upstream was never read past what the client took.
 */
describe('stream backpressure', () => {
  const WORDS = 40_000;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ providers: [{ id: 'big', models: ['m1'], mock: { words: WORDS } }] });
  });
  afterAll(async () => h.close());

  it('a client that pauses reading gets the complete answer after it resumes', async () => {
    const url = new URL(`${h.v1}/chat/completions`);
    const body = JSON.stringify({
      model: 'user-provider/big/m1',
      messages: [{ role: 'user', content: 'a lot' }],
      stream: true,
    });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${h.tokens.alice}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let paused = false;
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            // Stop reading once, early, long enough for every buffer between the two sockets to fill.
            if (!paused) {
              paused = true;
              res.pause();
              setTimeout(() => res.resume(), 400);
            }
          });
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const sse = parseSseText(text);
    expect(sse.done).toBe(true);
    expect(sse.errors).toHaveLength(0);
    expect(sse.text).toBe(words(1, WORDS));
  });
});
