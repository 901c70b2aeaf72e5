/**
 * Month-scale usage query (docs/usage.md: 1,000,000 rows over 30 days, a 30-day per-model daily series in
 * < 200 ms). Run: `npx tsx test/bench/usage-query.bench.ts [rows]` (default 1,000,000).
 * A script, not a test: it fills a fresh MariaDB database (multi-row inserts of 2,000 rows; the
 * hourly aggregates filled the same way the writer does, aggregateUsageRows + addUsageHourly), times
 * queryUsage (median of 5) and, for comparison, the same series straight from raw rows; then drops it.
 */
import { loadavg } from 'node:os';
import {
  addUsageHourly,
  aggregateUsageRows,
  createDatabase,
  migrateToLatest,
  queryUsage,
  withAggregates,
  type UsageRecordsTable,
} from '../../packages/db/src/index';
import { createTestMysqlDatabase } from '../../packages/testkit/src/index';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 1);
const START = END - 30 * DAY;

// A broker of modest size: 20 users with 2 tokens each, 4 routes, 3 providers with 3 models each.
const MODELS = [
  ['p-local', 'qwen2.5-coder:32b'],
  ['p-local', 'llama3.1:8b'],
  ['p-local', 'mistral:7b'],
  ['p-openai', 'gpt-4.1-mini'],
  ['p-openai', 'gpt-4.1'],
  ['p-openai', 'o4-mini'],
  ['p-gpu', 'deepseek-coder-v2'],
  ['p-gpu', 'qwen3:235b'],
  ['p-gpu', 'glm-4.6'],
] as const;
const ROUTES = ['user-rotation/coding', 'user-rotation/chat', 'user-autoselect/engineering', 'p-openai/gpt-4.1-mini'];

let seed = 42;
const rnd = (): number => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

function row(i: number): UsageRecordsTable {
  // Correlated like real traffic: each user uses two of the routes, each route spreads over two models.
  const user = Math.floor(rnd() * 20);
  const routeIndex = (user + (rnd() < 0.7 ? 0 : 1)) % ROUTES.length;
  const [provider, model] = MODELS[(routeIndex * 2 + (rnd() < 0.8 ? 0 : 1)) % MODELS.length]!;
  const failed = rnd() < 0.03;
  return {
    id: `ev-${i.toString(36).padStart(8, '0')}`,
    request_id: `req-${i}`,
    created_at: START + Math.floor((i / ROWS) * 30 * DAY + rnd() * 1000),
    user_id: `user-${user}`,
    token_id: `tok-${user}-${Math.floor(rnd() * 2)}`,
    route: ROUTES[routeIndex]!,
    provider,
    provider_owner_id: null,
    model,
    endpoint: 'chat.completions',
    stream: 1,
    status: failed ? 502 : 200,
    outcome: failed ? 'error' : 'ok',
    prompt_tokens: Math.floor(rnd() * 4000),
    completion_tokens: Math.floor(rnd() * 800),
    estimated: 0,
    latency_ms: 100 + Math.floor(rnd() * 3000),
    ttfb_ms: 80,
    attempts: '[]',
    autoselect_reason: null,
    cost_micros: provider === 'p-local' ? null : Math.floor(rnd() * 20_000),
    cache_hit: 0,
    condensed: null,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const url = await createTestMysqlDatabase('bench_usage');
  const handle = createDatabase(url);
  try {
    await migrateToLatest(handle.db);
    const t0 = performance.now();
    const CHUNK = 2000;
    for (let i = 0; i < ROWS; i += CHUNK) {
      const rows = Array.from({ length: Math.min(CHUNK, ROWS - i) }, (_, k) => row(i + k));
      await handle.db.insertInto('usage_records').values(rows).execute();
      await addUsageHourly(handle.db, aggregateUsageRows(rows));
      if ((i / CHUNK) % 20 === 0)
        process.stdout.write(`\r${i + rows.length} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const fillS = (performance.now() - t0) / 1000;
    const rawCount = await handle.db
      .selectFrom('usage_records')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const hourlyCount = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    console.log(`\nfilled ${rawCount.n} raw rows, ${hourlyCount.n} hourly rows in ${fillS.toFixed(0)} s`);

    // Off-the-hour edges on purpose: the query reads raw rows for the two partial hours.
    const filter = {
      from: START + 1234,
      to: END - 4321,
      groupBy: 'model' as const,
      bucket: 'day' as const,
      recentLimit: 20,
    };
    const agg: number[] = [];
    // Warm-up: right after the fill the aggregate index is not all in the buffer pool yet.
    let report = await queryUsage(handle.db, filter);
    for (let k = 0; k < 2; k++) report = await queryUsage(handle.db, filter);
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      report = await queryUsage(handle.db, filter);
      agg.push(performance.now() - s);
    }
    const inRange = await handle.db
      .selectFrom('usage_records')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('created_at', '>=', filter.from)
      .where('created_at', '<', filter.to)
      .executeTakeFirstOrThrow();
    if (report.totals.requests !== Number(inRange.n))
      throw new Error(`aggregates say ${report.totals.requests} requests, raw rows ${inRange.n}`);
    const raw: number[] = [];
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      await handle.db
        .selectFrom('usage_records')
        .select((eb) => [
          eb('created_at', '-', eb('created_at', '%', DAY)).as('t'),
          'model',
          eb.fn.countAll().as('n'),
          eb.fn.sum('prompt_tokens').as('p'),
          eb.fn.sum('completion_tokens').as('c'),
          eb.fn.sum('cost_micros').as('cost'),
        ])
        .where('created_at', '>=', filter.from)
        .where('created_at', '<', filter.to)
        .groupBy(['t', 'model'])
        .execute();
      raw.push(performance.now() - s);
    }
    const perUser: number[] = [];
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      await queryUsage(handle.db, { ...filter, userId: 'user-3' });
      perUser.push(performance.now() - s);
    }
    const fmt = (xs: number[]) =>
      `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
    console.log(
      `rows ${ROWS}, series points ${report.series.length}, models ${report.groups.length}, load ${loadavg()[0]?.toFixed(1)}`,
    );
    console.log(`queryUsage 30-day per-model daily series (aggregates):  ${fmt(agg)}`);
    console.log(`queryUsage same, one user:                              ${fmt(perUser)}`);
    console.log(`same series straight from raw rows (old way):           ${fmt(raw)}`);
  } finally {
    await handle.db.schema
      .dropSchema(new URL(url).pathname.slice(1))
      .ifExists()
      .execute()
      .catch(() => undefined);
    await handle.close();
  }
}

await main();
