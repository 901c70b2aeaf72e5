import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../packages/testkit/src/index';
import { graphql } from '../support/spawn-aisbf';
import { axeViolations } from './axe-check';
import { ensureDashboardBuild } from './build-dashboard';
import { startAisbf, type RunningAisbf } from './start-aisbf';

// The dashboard bugs a newcomer photographed, each checked in a real Chromium against `aisbf start`:
// a clipped latency label, other users' providers counted in the admin's health block, unpriced
// cost shown as 0.0000, table rows whose action cell drew its line out of line, a "−0 removed" badge;
// then the operator's pages: the request view with its attempts trail, and the playground.
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-artifacts/screenshots');
const ADMIN_PASSWORD = 'fixes-admin-password-1';
const ADMIN_TOKEN = 'aisbf_dashboardFixesAdminToken0123456789abcdef';
const KEY = 'fixes-upstream-key';

let mock: MockUpstream;
let aisbf: RunningAisbf;
let browser: Browser;
let page: Page;
let dataDir: string;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result = await graphql(aisbf.url, ADMIN_TOKEN, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dashboardDir = ensureDashboardBuild(ROOT);
  mock = await startMockUpstream({ models: ['m1'], apiKey: KEY, words: 4 });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-fixes-'));
  aisbf = await startAisbf({
    cwd: ROOT,
    env: {
      ...process.env,
      AISBF_DATA_DIR: dataDir,
      AISBF_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AISBF_ADMIN_TOKEN: ADMIN_TOKEN,
      AISBF_DASHBOARD_DIR: dashboardDir,
      AISBF_LOG_LEVEL: 'warn',
    },
  });
  // alice has a provider of her own; the admin has one too, and serves one slow, unpriced request.
  const provider = { type: 'openai', endpoint: mock.url, apiKey: KEY, models: ['m1'] };
  await gql('mutation { createUser(username: "alice") { username } }');
  await gql('mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id } }', {
    i: { id: 'alice-lan', ...provider },
  });
  await gql('mutation($i: ProviderInput!) { upsertProvider(input: $i) { id } }', {
    i: { id: 'admin-lan', ...provider },
  });
  // Saving a provider discovers its models at once (docs/jobs.md): let both GET /models pass before
  // queueing faults, which GET /models would otherwise take.
  await mock.waitFor((requests) => requests.filter((r) => r.path === '/v1/models').length >= 2, 15_000);
  mock.enqueue({ kind: 'delay', ms: 1200 });
  const client = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: ADMIN_TOKEN, maxRetries: 0 });
  await client.chat.completions.create({
    model: 'user-provider/admin-lan/m1',
    messages: [{ role: 'user', content: 'hi' }],
  });
  // One more that fails once and is retried on the same entry: its trail has two attempts.
  mock.enqueue({ kind: 'status', status: 503 });
  await client.chat.completions.create({
    model: 'user-provider/admin-lan/m1',
    messages: [{ role: 'user', content: 'retry me' }],
  });

  // Usage is written in batches: wait until both requests are recorded before looking at pages.
  for (let waited = 0; ; waited += 200) {
    const usage = (await gql('{ usage { totals { requests } } }'))['usage'] as { totals: { requests: number } };
    if (usage.totals.requests >= 2) break;
    if (waited > 15_000)
      throw new Error(
        `usage shows ${usage.totals.requests} of 2 requests : ${JSON.stringify(await gql('{ usage { recent { at route status outcome provider latencyMs } } }'))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(10_000);
  await page.goto(`${aisbf.url}/login`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await aisbf?.stop();
  await mock?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('dashboard fixes, in Chromium', () => {
  it("counts only the providers the admin's overview lists, and never shows unpriced cost as 0.0000", async () => {
    await page.getByText('admin-lan').first().waitFor();
    const health = await page.locator('h2:has-text("Provider health") + .card').textContent();
    // alice-lan is alice's: neither listed nor counted on the admin's overview.
    expect(health).toMatch(/of 1\./);
    // (2 requests: the slow one and the retried one, both on unpriced models.)
    expect(health).not.toContain('alice-lan');
    await expect(page.getByTestId('unpriced-note').textContent()).resolves.toMatch(/2 requests served by models/);
    const totals = await page.getByRole('region', { name: 'Totals' }).textContent();
    expect(totals).toContain('not priced');
    expect(totals).not.toContain('0.0000');
  });

  it('shows the latency label of a request over a second whole, inside the chart', async () => {
    const label = page.locator('svg text', { hasText: / ms$/ }).first();
    await label.waitFor();
    expect(await label.textContent()).toMatch(/^1\d{3} ms$/);
    const [labelBox, svgBox] = await Promise.all([label.boundingBox(), page.locator('svg').last().boundingBox()]);
    expect(labelBox!.x).toBeGreaterThanOrEqual(svgBox!.x);
    await page.screenshot({ path: join(SHOTS, 'fixes-overview.png'), fullPage: true });
  });

  it('draws every row line of the providers table straight, the actions cell included', async () => {
    await page
      .getByRole('link', { name: /providers/i })
      .first()
      .click();
    await page.getByRole('heading', { name: 'User Providers' }).waitFor();
    await page.locator('tr[data-provider="admin-lan"]').waitFor();
    const bottoms = await page
      .locator('tbody tr')
      .first()
      .locator('td')
      .evaluateAll((cells) =>
        cells.map((cell) => {
          const box = cell.getBoundingClientRect();
          return { bottom: box.bottom, display: getComputedStyle(cell).display };
        }),
      );
    expect(bottoms.length).toBeGreaterThan(4);
    for (const cell of bottoms) {
      expect(cell.display).toBe('table-cell');
      expect(Math.abs(cell.bottom - bottoms[0]!.bottom)).toBeLessThan(0.5);
    }
  });

  it("lets the admin work on another user's providers through the scope picker", async () => {
    // The scope picker finds the user by name through the paged API (docs/dashboard.md "Lists at scale").
    const scope = page.getByRole('combobox', { name: 'Scope' });
    await scope.fill('ali');
    await page.getByRole('option', { name: 'alice', exact: true }).click();
    await page.locator('tr[data-provider="alice-lan"]').waitFor();
    expect(await page.locator('tr[data-provider="admin-lan"]').count()).toBe(0);
    await scope.click();
    await page.getByRole('option', { name: 'Mine (admin)' }).click();
    await page.locator('tr[data-provider="admin-lan"]').waitFor();
  });

  it('says "no change" after Get Models finds the same models, never "−0 removed"', async () => {
    await page.locator('tr[data-provider="admin-lan"]').getByRole('button', { name: 'Get Models' }).click();
    const list = page.getByTestId('discovered-models');
    await list.waitFor();
    const summary = await page.locator('h2:has-text("Models of admin-lan") + p').textContent();
    expect(summary).toContain('no change');
    expect(summary).not.toMatch(/[−-]0 removed|\+0 added/);
    await page.screenshot({ path: join(SHOTS, 'fixes-providers.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
  });

  it('lists requests with their attempts trail, filterable, in the request view', async () => {
    await page.getByRole('link', { name: 'Requests' }).first().click();
    await page.getByRole('heading', { name: 'Requests' }).waitFor();
    const table = page.getByTestId('requests');
    await table.locator('tbody tr').nth(1).waitFor();
    expect(await table.locator('tbody tr').count()).toBe(2);
    // The newest is the retried request: its trail shows the 503 attempt, then the one that served.
    await table.locator('tbody tr').first().getByRole('button', { name: 'Trail' }).click();
    const trail = page.getByTestId('attempts-trail');
    await trail.waitFor();
    const steps = await trail.locator('li').allTextContents();
    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatch(/admin-lan \/ m1.*HTTP 503/s);
    expect(steps[1]).toMatch(/admin-lan \/ m1.*ok.*HTTP 200/s);
    await page.screenshot({ path: join(SHOTS, 'requests.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
    await page.getByLabel('Status').selectOption('error');
    await page.getByText('No requests match.').waitFor();
  });

  it('sends a prompt from the playground with a new token and shows the answer and its headers', async () => {
    await page.getByRole('link', { name: 'Call a route' }).first().click();
    // The requests page has a "Route" filter too: wait for the playground before picking one.
    await page.getByRole('heading', { name: 'Call a route' }).waitFor();
    await page.getByLabel('Route').selectOption('user-provider/admin-lan/m1');
    await page.getByRole('button', { name: 'New playground token' }).click();
    await expect.poll(() => page.getByLabel('API token').inputValue()).toMatch(/^aisbf_/);
    await page.getByRole('button', { name: /^Send to/ }).click();
    await expect(page.getByTestId('playground-status').textContent()).resolves.toBe('HTTP 200');
    const headers = await page.getByTestId('playground-headers').textContent();
    expect(headers).toMatch(/x-aisbf-route\s*user-provider\/admin-lan\/m1/);
    expect(headers).toContain('x-request-id');
    await expect.poll(() => page.getByTestId('playground-answer').textContent()).toMatch(/\w+/);
    await page.screenshot({ path: join(SHOTS, 'playground.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
  });
});
