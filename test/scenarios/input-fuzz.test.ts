import fc from 'fast-check';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scenarioEnv } from './env';
import { startHarness, TOKEN, type Harness } from './scenario-harness';

/**
 * Input fuzzing of the data plane (docs/security.md): whatever a client sends, the answer is a 4xx/2xx in
 * OpenAI error shape, never a 5xx, a hang or a crash. Bounded runs in CI; AISBF_FUZZ_RUNS for more.
 */
const MAX_BODY = 64 * 1024;
const runs = scenarioEnv.fuzzRuns;
let h: Harness;
let origin: string;

beforeAll(async () => {
  h = await startHarness([{ id: 'fz', fallback: true }], { dataPlaneArgs: ['--max-body-bytes', String(MAX_BODY)] });
  origin = h.dataPlane.url;
});
afterAll(async () => {
  await h?.close();
});

const PATHS = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/api/u/alice/chat/completions',
  '/api/v1/chat/completions',
];

async function post(
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text() };
}

const expectNot5xx = (r: { status: number; text: string }, context: string): void => {
  if (r.status >= 500) throw new Error(`${context} → ${r.status}: ${r.text.slice(0, 300)}`);
  if (r.status >= 400) {
    const body = JSON.parse(r.text) as { error?: { message?: unknown } };
    if (typeof body.error?.message !== 'string')
      throw new Error(`${context} → ${r.status} without an OpenAI error body: ${r.text.slice(0, 200)}`);
  }
};

/** Request-shaped JSON: the fields clients send, each either plausible or arbitrary. */
const requestLike = fc.record(
  {
    model: fc.oneof(
      fc.constant('r-fz'),
      fc.constant('primary/fz'),
      fc.string({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    messages: fc.oneof(
      fc.array(
        fc.record(
          {
            role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool'), fc.string()),
            content: fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 3 })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
    stream_options: fc.jsonValue({ maxDepth: 2 }),
    max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
    input: fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    prompt: fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 2 })),
    temperature: fc.oneof(fc.double(), fc.string()),
  },
  { requiredKeys: [] },
);

it('answers request-shaped JSON on every endpoint without a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...PATHS), requestLike, async (path, body) => {
      expectNot5xx(await post(path, JSON.stringify(body)), `${path} ${JSON.stringify(body).slice(0, 200)}`);
    }),
    { numRuns: runs },
  );
});

it('answers arbitrary JSON values and arbitrary bytes without a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...PATHS),
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
        fc.uint8Array({ maxLength: 512 }).map((bytes) => Uint8Array.from(bytes)),
      ),
      async (path, body) => {
        expectNot5xx(
          await post(path, body),
          `${path} ${typeof body === 'string' ? body.slice(0, 200) : `${body.length} bytes`}`,
        );
      },
    ),
    { numRuns: runs },
  );
});

it('refuses deep JSON with a 4xx (depth limit), however deep', async () => {
  for (const depth of [65, 1_000, 30_000]) {
    const deepArray = `{"model":"r-fz","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const deepObject = `{"model":"r-fz","messages":[{"role":"user","content":"x","extra":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`;
    for (const body of [deepArray, deepObject]) {
      const r = await post('/v1/chat/completions', body);
      expectNot5xx(r, `depth ${depth}`);
      expect(r.status === 400 || r.status === 413).toBe(true);
    }
  }
});

it('refuses bodies over the size limit with 413, declared or chunked', async () => {
  const big = JSON.stringify({ model: 'r-fz', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY + 10) }] });
  const declared = await post('/v1/chat/completions', big);
  expect(declared.status).toBe(413);
  expectNot5xx(declared, 'declared');
  // Without content-length: a stream body goes out chunked, so the limit must hold while reading.
  const chunked = await fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i += 1) controller.enqueue(new TextEncoder().encode('x'.repeat(8192)));
        controller.close();
      },
    }),
    duplex: 'half',
    signal: AbortSignal.timeout(5000),
  } as RequestInit);
  expect(chunked.status).toBe(413);
});

/** One raw HTTP/1.1 exchange, so paths and headers can hold bytes fetch would refuse to send. */
function raw(request: Buffer): Promise<number | 'closed-without-answer' | 'hang'> {
  const url = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('hang');
    }, 3000);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1];
      resolve(status === undefined ? 'closed-without-answer' : Number(status));
    });
    socket.end(request);
  });
}

it('answers odd bytes in paths and headers with a 4xx or a refused parse, never a 5xx or a hang', async () => {
  const oddText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('%', '%FF%FE', '%00', '..%2F..%2F', '%E0%A4%A', '\u0000', '\r\n', '😀', '%ZZ', '/', '//', '?x=%'),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('/v1/', '/api/u/', '/api/v1/', '/'),
      oddText,
      oddText,
      async (prefix, segment, headerValue) => {
        const body = '{"model":"r-fz","messages":[{"role":"user","content":"hi"}]}';
        const head =
          `POST ${prefix}${segment}/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
          `Authorization: Bearer ${headerValue}\r\nX-Request-Id: ${headerValue}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
        const answer = await raw(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]));
        if (answer === 'hang' || (typeof answer === 'number' && answer >= 500))
          throw new Error(`${JSON.stringify(prefix + segment)} / ${JSON.stringify(headerValue)} → ${answer}`);
      },
    ),
    { numRuns: runs },
  );
});

it('is still alive and bounded in memory after the fuzzing', async () => {
  expect(h.dataPlane.child.exitCode).toBeNull();
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  const status = await readFile(`/proc/${h.dataPlane.pid}/status`, 'utf8');
  const rssMiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
  expect(rssMiB).toBeGreaterThan(0);
  expect(rssMiB).toBeLessThan(400);
});
