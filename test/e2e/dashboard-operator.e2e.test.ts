import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

// The operator's pages in a real Chromium against `aisbf start`: the live state of rotation entries
// (a cooldown opened by a real 429 shows on its entry, and a later one appears without a reload),
// the provider settings editor (timeouts, concurrency, headers with redacted values, prices) and
// the limits editors of users and tokens, each edit seen persisted after a reload.
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-artifacts/screenshots');
const ADMIN_PASSWORD = 'operator-admin-password-1';
const ADMIN_TOKEN = 'aisbf_dashboardOperatorAdminToken0123456789abcd';
const KEY = 'operator-upstream-key';

let mock: MockUpstream;
let aisbf: RunningAisbf;
let browser: Browser;
let page: Page;
let dataDir: string;
let client: OpenAI;
let dashboardDir: string;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result = await graphql(aisbf.url, ADMIN_TOKEN, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

async function go(link: string | RegExp, heading: string): Promise<void> {
  await page.getByRole('link', { name: link }).first().click();
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dashboardDir = ensureDashboardBuild(ROOT);
  mock = await startMockUpstream({ models: ['m1', 'm2'], apiKey: KEY, words: 3 });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-operator-'));
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
  // A provider with a credential header (set the way AISBF's providers.json does), a rotation over
  // two of its models, a user and a token whose limits get edited.
  await gql('mutation($d: JSON!) { importConfig(kind: PROVIDERS, document: $d) { created } }', {
    d: {
      providers: {
        lan: { type: 'openai', endpoint: mock.url, api_key: KEY, models: ['m1', 'm2'], headers: { 'X-Org': 'org-1' } },
      },
    },
  });
  await gql('mutation($c: JSON!) { upsertRotation(id: "live", config: $c) { id } }', {
    c: {
      providers: [
        { provider_id: 'lan', model: 'm1', weight: 2, error_cooldown: 300 },
        { provider_id: 'lan', model: 'm2', weight: 1, error_cooldown: 300 },
      ],
    },
  });
  await gql('mutation { createUser(username: "alice", password: "alice-password-1") { username } }');
  await gql('mutation { createApiToken(name: "ci") { id } }');

  // A 429 without Retry-After cools m1 down at once; m2 serves the request.
  client = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: ADMIN_TOKEN, maxRetries: 0 });
  mock.enqueue({ kind: 'rate-limit', model: 'm1' });
  const answer = await client.chat.completions.create({
    model: 'user-rotation/live',
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(answer.model).toBe('m2');
  for (let waited = 0; ; waited += 200) {
    const usage = (await gql('{ usage { totals { requests } } }'))['usage'] as { totals: { requests: number } };
    if (usage.totals.requests >= 1) break;
    if (waited > 15_000) throw new Error('the request was never recorded');
    await new Promise((r) => setTimeout(r, 200));
  }

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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

describe('operator pages, in Chromium', () => {
  it('bundles only the schemas the forms use from core, not the rest of it (re2js, the autoselect pattern engine)', () => {
    const chunks = join(dashboardDir, '_app/immutable/chunks');
    const code = readdirSync(chunks)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(chunks, f), 'utf8'));
    // The limits form's schema is there (its keys), the regex engine core also exports is not.
    expect(code.some((c) => c.includes('costMicrosPerMonth'))).toBe(true);
    expect(code.some((c) => c.includes('RE2JS'))).toBe(false);
  });

  it('shows the entry a 429 cooled down as cooling down, until when and why; the other as ready', async () => {
    await go('Rotations', 'Rotations');
    const rows = page.locator('section[data-rotation="live"] tbody tr');
    const first = rows.nth(0).locator('[data-entry-state]');
    await first.waitFor();
    expect(await first.getAttribute('data-entry-state')).toBe('cooling down');
    const text = await first.textContent();
    // 300 s error_cooldown: "in 5 min" (or just under).
    expect(text).toMatch(/until .* \(in (5 min|\d+ s)\)/);
    expect(text).toContain('last: rate_limited, HTTP 429');
    expect(await rows.nth(1).locator('[data-entry-state]').getAttribute('data-entry-state')).toBe('ready');
    await page.screenshot({ path: join(SHOTS, 'rotations-live-state.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
    // The dark palette and the phone layout too (contrast of the state badges, the table on a narrow screen).
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SHOTS, 'rotations-live-state-dark.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'rotations-live-state-phone.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows cooldowns opened and closed while the page is open, without a reload', async () => {
    // m1 is cooling down, so m2 is tried; its 429 cools it down too. With every entry cooling down
    // the one that recovers first (m1) is tried once: it serves, and that success closes its cooldown.
    mock.enqueue({ kind: 'rate-limit', model: 'm2' });
    const answer = await client.chat.completions.create({
      model: 'user-rotation/live',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.model).toBe('m1');
    const rows = page.locator('section[data-rotation="live"] tbody tr');
    const state = (i: number) => rows.nth(i).locator('[data-entry-state]').getAttribute('data-entry-state');
    // The page re-reads every 5 s.
    await expect.poll(() => state(1), { timeout: 8_000, interval: 250 }).toBe('cooling down');
    await expect.poll(() => state(0), { timeout: 8_000, interval: 250 }).toBe('ready');
  });

  it('edits provider settings (errors next to fields first), keeps the redacted header, and the change is served', async () => {
    await go(/providers/i, 'User Providers');
    const row = page.locator('tr[data-provider="lan"]');
    await row.getByRole('button', { name: 'Settings' }).click();
    const form = page.getByTestId('provider-settings');
    await form.waitFor();
    const org = form.getByLabel('Header 1 value');
    expect(await org.inputValue()).toBe('');
    expect(await org.getAttribute('placeholder')).toContain('kept');
    expect(
      await form.locator('input[type="password"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
    ).not.toContain('org-1');

    await form.getByLabel('Connect timeout (s)').fill('0');
    await form.getByLabel('Prompt price of m1', { exact: true }).fill('-2');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect(form.locator('#settings-timeout_connect_s-error').textContent()).resolves.toBeTruthy();
    await expect(form.locator('#model-0-prompt-error').textContent()).resolves.toBeTruthy();
    await page.screenshot({ path: join(SHOTS, 'provider-settings-errors.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);

    await form.getByLabel('Connect timeout (s)').fill('2');
    await form.getByLabel('Max concurrency').fill('3');
    await form.getByLabel('Prompt price of m1', { exact: true }).fill('0.5');
    await form.getByLabel('Completion price of m1').fill('1.5');
    await form.getByRole('button', { name: 'Add header' }).click();
    await form.getByLabel('Header 2 name').fill('X-Team');
    await form.getByLabel('Header 2 value').fill('team-a');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved the settings of lan.').waitFor();

    // Persisted: a reload shows it.
    await page.reload();
    await page.getByRole('heading', { name: 'User Providers' }).waitFor();
    await page.locator('tr[data-provider="lan"]').getByRole('button', { name: 'Settings' }).click();
    await form.waitFor();
    expect(await form.getByLabel('Connect timeout (s)').inputValue()).toBe('2');
    expect(await form.getByLabel('Max concurrency').inputValue()).toBe('3');
    expect(await form.getByLabel('Prompt price of m1', { exact: true }).inputValue()).toBe('0.5');
    expect(await form.getByLabel('Header 2 name').inputValue()).toBe('X-Team');
    expect(await form.getByLabel('Header 2 value').inputValue()).toBe('');
    await page.screenshot({ path: join(SHOTS, 'provider-settings.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SHOTS, 'provider-settings-dark.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });

    // The data plane serves the new settings: both headers go upstream, the kept one with its stored value.
    const before = mock.requests.length;
    await client.chat.completions.create({
      model: 'user-provider/lan/m2',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const sent = mock.requests.slice(before).find((r) => r.path.endsWith('/chat/completions'));
    expect(sent?.headers['x-org']).toBe('org-1');
    expect(sent?.headers['x-team']).toBe('team-a');
  });

  it("edits a user's limits: refused values next to the field, then saved and shown after a reload", async () => {
    await go('Users', 'Users');
    await page.getByRole('row', { name: /alice/ }).getByRole('button', { name: 'Limits' }).click();
    const form = page.getByTestId('user-limits');
    await form.getByLabel('Requests per minute').fill('-1');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await expect(form.locator('#user-limit-requestsPerMinute-error').textContent()).resolves.toBeTruthy();
    await form.getByLabel('Requests per minute').fill('30');
    await form.getByLabel('Tokens per minute').fill('20000');
    await form.getByLabel('Cost budget per day').fill('2.5');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Saved the limits of alice.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    const summary = page.getByRole('row', { name: /alice/ }).getByTestId('user-limits-summary');
    await expect
      .poll(() => summary.textContent())
      .toBe('Requests per minute: 30 · Tokens per minute: 20000 · Cost budget per day: 2.5');
    await page.getByRole('row', { name: /alice/ }).getByRole('button', { name: 'Limits' }).click();
    expect(await form.getByLabel('Cost budget per day').inputValue()).toBe('2.5');
    await page.screenshot({ path: join(SHOTS, 'user-limits.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
  });

  it("edits a token's limits and sees them after a reload", async () => {
    await go('Tokens', 'API Tokens');
    await page
      .getByRole('row', { name: /\bci\b/ })
      .getByRole('button', { name: 'Limits' })
      .click();
    const form = page.getByTestId('token-limits');
    await form.getByLabel('Tokens per minute').fill('1000');
    await form.getByLabel('Requests per day').fill('500');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Saved the limits of token ci.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'API Tokens' }).waitFor();
    const summary = page.getByRole('row', { name: /\bci\b/ }).getByTestId('token-limits-summary');
    await expect.poll(() => summary.textContent()).toBe('Tokens per minute: 1000 · Requests per day: 500');
    await page
      .getByRole('row', { name: /\bci\b/ })
      .getByRole('button', { name: 'Limits' })
      .click();
    await form.waitFor();
    await page.screenshot({ path: join(SHOTS, 'token-limits.png'), fullPage: true });
    expect(await axeViolations(page, ROOT)).toEqual([]);
  });
});
