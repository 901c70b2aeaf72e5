import { afterEach, describe, expect, it } from 'vitest';
import { listModelHealth, listProviderHealth, listProviders } from '@aisbf/db';
import { parseSseText } from '@aisbf/testkit';
import { startHealthFixture, type HealthFixture } from './health-fixture';

/**
 * docs/reliability.md "Health": a primary that answers 503 for an outage and then recovers, with
 * the health job running all along. The field report's timing (60 s outage, a streamed request
 * every 4 s, 20 of them, error_cooldown 30 s, the health job every 60 s, traffic half-life 2 min)
 * scaled by 1/20 through config: 3 s, 200 ms, 1.5 s, 3 s (run every 300 ms here, to give it
 * more chances to get in the way), 6 s.
 */
const OUTAGE_MS = 3_000;
const SPACING_MS = 200;
const REQUESTS = 20;
const COOLDOWN_MS = 1_500;

let fixture: HealthFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function start(): Promise<HealthFixture> {
  // allowed_fails 1: the first failed request (its two attempts) opens the cooldown, so every
  // later primary request during the outage is a half-open probe.
  const entry = { error_cooldown: COOLDOWN_MS / 1000, allowed_fails: 1 };
  fixture = await startHealthFixture({
    providers: [
      { id: 'lan', models: ['primary', 'other'] },
      { id: 'hosted', models: ['backup'] },
    ],
    rotations: [
      {
        id: 'coding',
        config: {
          providers: [
            { provider_id: 'lan', model: 'primary', weight: 6, ...entry },
            { provider_id: 'hosted', model: 'backup', weight: 3, ...entry },
          ],
          retry: { backoff_ms: 10 },
        },
      },
    ],
    healthPolicy: { windowMs: 45_000, halfLifeMs: 6_000 },
    healthEveryMs: 300,
  });
  return fixture;
}

interface Answer {
  sentAt: number;
  status: number;
  servedBy: string | null;
  done: boolean;
  errors: number;
  words: number;
}

async function streamOnce(f: HealthFixture, model: string): Promise<Answer> {
  const sentAt = Date.now();
  const res = await fetch(`${f.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'count' }] }),
  });
  const sse = parseSseText(await res.text());
  return {
    sentAt,
    status: res.status,
    servedBy: res.headers.get('x-aisbf-provider'),
    done: sse.done,
    errors: sse.errors.length,
    words: sse.text.split(' ').filter(Boolean).length,
  };
}

/** The sequence: `REQUESTS` streamed requests, one every `SPACING_MS`, the primary down for `OUTAGE_MS`. */
async function runOutage(f: HealthFixture): Promise<{ answers: Answer[]; startedAt: number; recoveredAt: number }> {
  const lan = f.mocks['lan']!;
  // A served request first: connections open and code warm, so the sequence's timing is the backends'.
  expect((await streamOnce(f, 'coding')).servedBy).toBe('lan');
  lan.reset();
  lan.setDefault({ kind: 'status', status: 503, model: 'primary' });
  const startedAt = Date.now();
  let recoveredAt = Number.POSITIVE_INFINITY;
  const recovery = new Promise<void>((resolve) =>
    setTimeout(() => {
      lan.setDefault({ kind: 'ok', model: 'primary' });
      recoveredAt = Date.now();
      resolve();
    }, OUTAGE_MS),
  );
  const answers = await Promise.all(
    Array.from(
      { length: REQUESTS },
      (_, i) =>
        new Promise<Answer>((resolve, reject) =>
          setTimeout(() => streamOnce(f, 'coding').then(resolve, reject), i * SPACING_MS),
        ),
    ),
  );
  await recovery;
  // Recovery near the end of the sequence may need more requests to show: go on at the same pace
  // until the primary serves, or one cooldown plus two requests after the recovery.
  while (!answers.some((a) => a.sentAt >= recoveredAt && a.servedBy === 'lan')) {
    if (Date.now() > recoveredAt + COOLDOWN_MS + 2 * SPACING_MS) break;
    await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
    answers.push(await streamOnce(f, 'coding'));
  }
  return { answers, startedAt, recoveredAt };
}

function expectRecoveredWithinOneCooldown(f: HealthFixture, run: Awaited<ReturnType<typeof runOutage>>): void {
  const { answers, startedAt, recoveredAt } = run;
  // Every request answered in full: by the backup during the outage.
  for (const a of answers) expect([a.status, a.done, a.errors, a.words]).toEqual([200, true, 0, 60]);
  for (const a of answers.filter((x) => x.sentAt + 100 < recoveredAt)) expect(a.servedBy).toBe('hosted');

  // At most one probe per cooldown during the outage: after the first request's two attempts
  // opened the cooldown, primary requests are single and at least a cooldown apart.
  const primary = f.mocks['lan']!.requests.filter(
    (r) => (r.body as { model?: string } | null)?.model === 'primary' && r.at < recoveredAt,
  );
  expect(primary.length).toBeGreaterThanOrEqual(2);
  // primary[1] is the first request's same-entry retry: its failure opened the cooldown.
  for (let i = 2; i < primary.length; i++)
    expect(primary[i]!.at - primary[i - 1]!.at).toBeGreaterThanOrEqual(COOLDOWN_MS - 50);
  expect(primary.length - 2).toBeLessThanOrEqual(Math.ceil(OUTAGE_MS / COOLDOWN_MS));

  // Serving again within one cooldown (plus the one request that probes it) of the recovery, and
  // from then on.
  const back = answers.findIndex((a) => a.sentAt >= recoveredAt && a.servedBy === 'lan');
  expect(back).toBeGreaterThanOrEqual(0);
  expect(answers[back]!.sentAt - recoveredAt).toBeLessThanOrEqual(COOLDOWN_MS + SPACING_MS);
  expect(answers.slice(back).map((a) => a.servedBy)).toEqual(answers.slice(back).map(() => 'lan'));
}

describe('a primary that recovers serves again within one cooldown, whatever health says', () => {
  it('503 for the outage, then healthy: backup during it, at most one probe per cooldown, primary right after', async () => {
    const f = await start();
    expectRecoveredWithinOneCooldown(f, await runOutage(f));
  });

  it('the same after 100 failures of another model of the same provider just before', async () => {
    const f = await start();
    f.mocks['lan']!.setDefault({ kind: 'status', status: 503, model: 'other' });
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${f.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'user-provider/lan/other', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      await res.arrayBuffer();
    }
    await f.jobs.usageSink.flush();
    const judged = await f.jobs.runHealthCheck();
    const lan = judged.checked.find((c) => c.providerId === 'lan')!;
    // Before: the whole provider was marked unhealthy by these failures and skipped by every rotation.
    expect(lan.traffic?.weight).toBeGreaterThan(50);
    expect(lan.traffic?.models['other']?.errorRatio).toBe(1);
    expect([lan.status, lan.source]).toEqual(['healthy', 'traffic']);
    expect(lan.models.map((m) => [m.model, m.status])).toEqual([['other', 'unhealthy']]);
    // What the dashboard reads: both levels.
    const row = (await listProviders(f.db.db)).find((p) => p.id === 'lan')!;
    expect((await listProviderHealth(f.db.db, [row.rowId])).get(row.rowId)?.status).toBe('healthy');
    expect((await listModelHealth(f.db.db, [row.rowId])).get(row.rowId)?.get('other')?.status).toBe('unhealthy');

    expectRecoveredWithinOneCooldown(f, await runOutage(f));
  });
});
