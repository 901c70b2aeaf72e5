import { afterEach, describe, expect, it } from 'vitest';
import { createDbPrefillRefusals } from '@aisbf/db';
import { parseSseText } from '@aisbf/testkit';
import { startHealthFixture, type HealthFixture } from './health-fixture';

/**
 * docs/reliability.md "After the first byte", all-in-one mode: an entry marked `prefill: true`
 * that refused a prefill is remembered in the database, so the same aisbf started again never
 * sends it another (the client gets the interruption error, never the refusal).
 */
const fixtures: HealthFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0).reverse()) await f.close();
});

const lastIsAssistant = (body: unknown): boolean =>
  ((body as { messages?: Array<{ role: string }> }).messages ?? []).at(-1)?.role === 'assistant';

async function cutStream(f: HealthFixture): Promise<{ text: string; errors: unknown[]; done: boolean }> {
  f.mocks['lan']!.enqueue({ kind: 'cut', afterChunks: 40 });
  const res = await fetch(`${f.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'rescue', stream: true, messages: [{ role: 'user', content: 'count' }] }),
  });
  expect(res.status).toBe(200);
  return parseSseText(await res.text());
}

describe('prefill memory across a restart (all-in-one)', () => {
  it('a refusal is stored, and the restarted data plane never sends that entry a prefill', async () => {
    const options = {
      providers: [
        { id: 'lan', models: ['coder'] },
        { id: 'hosted', models: [{ name: 'big', prefill: true }] },
      ],
      rotations: [
        {
          id: 'rescue',
          config: {
            providers: [
              { provider_id: 'lan', model: 'coder', weight: 2 },
              { provider_id: 'hosted', model: 'big', weight: 1 },
            ],
            midstream: 'continue',
          },
        },
      ],
      prefillRefusals: (handle: HealthFixture['db']) => createDbPrefillRefusals({ db: handle.db }),
    };
    const first = await startHealthFixture(options);
    fixtures.push(first);
    first.mocks['hosted']!.setDefault({ kind: 'refuse-prefill' });
    const before = await cutStream(first);
    expect(before.errors).toEqual([expect.objectContaining({ code: 'upstream_stream_interrupted' })]);
    expect(JSON.stringify(before.errors)).not.toContain('prefill');
    expect(first.mocks['hosted']!.requests.filter((r) => lastIsAssistant(r.body))).toHaveLength(1);
    const storedRows = () => first.db.db.selectFrom('prefill_refusals').selectAll().execute();
    for (let waited = 0; (await storedRows()).length === 0 && waited < 1_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const stored = await storedRows();
    expect(stored.map((r) => r.target_key)).toEqual([expect.stringMatching(/\|hosted\|big$/)]);

    const restarted = await startHealthFixture({ ...options, restartOf: first });
    fixtures.push(restarted);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the stored refusals are read at start
    const after = await cutStream(restarted);
    expect([after.text.split(' ').length, after.done]).toEqual([40, false]);
    expect(after.errors).toEqual([expect.objectContaining({ code: 'upstream_stream_interrupted' })]);
    expect(first.mocks['hosted']!.requests.filter((r) => lastIsAssistant(r.body))).toHaveLength(1);
  });
});
