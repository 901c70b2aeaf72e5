import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest } from '../../packages/db/src/index';
import { axeViolations } from './axe-check';
import { ensureDashboardBuild } from './build-dashboard';
import { startAisbf, type RunningAisbf } from './start-aisbf';

// docs/dashboard.md "Lists at scale": with more users than a page holds, the users page pages and
// searches on the server, and the user pickers (requests filter, scope) search through the paged
// API, in a real Chromium against `aisbf start`. The network log proves no call ever asked for (or
// got) more than one page of users, and none read the whole list.
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-artifacts/screenshots');
const ADMIN_PASSWORD = 'lists-admin-password-1';
/** More users than the users page (50) and the pickers (8) show at once. */
const MEMBERS = 250;
/** Sorts after every member: on no first page, found only by searching. */
const NEEDLE = 'zz-needle';
const USERS_PAGE_SIZE = 50;

const userId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const member = (i: number): string => `member-${String(i).padStart(3, '0')}`;

let aisbf: RunningAisbf;
let browser: Browser;
let page: Page;
let dataDir: string;

/** Every tRPC procedure the dashboard called, with its input, and every users.page answer's size. */
const calls: Array<{ procedure: string; input: Record<string, unknown> }> = [];
const answeredSizes: number[] = [];

/** The users and two recorded requests, written through the db layer before `aisbf start` opens the database. */
async function seed(url: string): Promise<void> {
  const handle = createDatabase(url);
  try {
    await migrateToLatest(handle.db);
    const now = Date.now();
    const names = [...Array.from({ length: MEMBERS }, (_, i) => member(i)), NEEDLE];
    await handle.db
      .insertInto('users')
      .values(
        names.map((username, i) => ({
          id: userId(i),
          username,
          password_hash: null,
          role: 'user' as const,
          disabled: 0,
          limits: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    const request = (owner: number, route: string, at: number) => ({
      id: `e2e-lists-${owner}`,
      request_id: `req-lists-${owner}`,
      created_at: at,
      user_id: userId(owner),
      token_id: null,
      route,
      provider: 'lan',
      provider_owner_id: null,
      model: 'm1',
      endpoint: 'chat',
      stream: 0,
      status: 200,
      outcome: 'ok',
      prompt_tokens: 3,
      completion_tokens: 4,
      estimated: 0,
      latency_ms: 12,
      ttfb_ms: null,
      attempts: '[]',
      autoselect_reason: null,
      cost_micros: null,
      cache_hit: 0,
      condensed: null,
    });
    await handle.db
      .insertInto('usage_records')
      .values([
        request(7, 'user-rotation/member-route', now - 2_000),
        request(MEMBERS, 'user-rotation/needle-route', now - 1_000),
      ])
      .execute();
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dashboardDir = ensureDashboardBuild(ROOT);
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-lists-'));
  await seed(`sqlite:${join(dataDir, 'aisbf.db')}`);
  aisbf = await startAisbf({
    cwd: ROOT,
    env: {
      ...process.env,
      AISBF_DATA_DIR: dataDir,
      AISBF_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AISBF_DASHBOARD_DIR: dashboardDir,
      AISBF_LOG_LEVEL: 'warn',
    },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(10_000);
  // httpBatchLink sends `GET /trpc/a,b?batch=1&input={"0":…,"1":…}`: one entry per procedure.
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/trpc/')) return;
    const procedures = url.pathname.slice('/trpc/'.length).split(',');
    const inputs = JSON.parse(url.searchParams.get('input') ?? '{}') as Record<string, Record<string, unknown>>;
    procedures.forEach((procedure, i) => calls.push({ procedure, input: inputs[String(i)] ?? {} }));
  });
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/trpc/')) return;
    const procedures = url.pathname.slice('/trpc/'.length).split(',');
    const body = (await response.json().catch(() => [])) as Array<{ result?: { data?: { items?: unknown[] } } }>;
    procedures.forEach((procedure, i) => {
      const items = body[i]?.result?.data?.items;
      if (procedure === 'users.page' && items !== undefined) answeredSizes.push(items.length);
    });
  });
  await page.goto(`${aisbf.url}/login`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await aisbf?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const usersTable = () => page.getByTestId('users');
const firstNames = async (): Promise<string[]> =>
  usersTable()
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user') ?? ''));
const pageStatus = () => page.getByTestId('users-page-status');

async function photograph(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  expect(await axeViolations(page, ROOT)).toEqual([]);
}

describe(`dashboard lists with ${MEMBERS + 2} users, in Chromium`, () => {
  it('shows the users one page at a time, next and previous by cursor', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await expect.poll(() => pageStatus().textContent()).toContain('Page 1: 50 users');
    const first = await firstNames();
    // admin, then member-000 … member-048, by name.
    expect([first.length, first[0], first[1], first.at(-1)]).toEqual([50, 'admin', member(0), member(48)]);
    expect(first).not.toContain(NEEDLE);
    await photograph('lists-users');

    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => pageStatus().textContent()).toContain('Page 2: 50 users');
    expect((await firstNames()).slice(0, 2)).toEqual([member(49), member(50)]);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => pageStatus().textContent()).toContain('Page 1: 50 users');
    expect((await firstNames())[0]).toBe('admin');
    expect(await page.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
  });

  it('finds a user on no first page by typing part of the name (debounced, on the server)', async () => {
    await page.getByLabel('Search by name').pressSequentially('needle', { delay: 30 });
    await expect.poll(() => firstNames()).toEqual([NEEDLE]);
    await expect(pageStatus().textContent()).resolves.toContain('whose name contains “needle”');
    // Typed quickly, the six letters became far fewer requests than letters.
    const searches = calls.filter((c) => c.procedure === 'users.page' && typeof c.input['search'] === 'string');
    expect(searches.map((c) => c.input['search'])).toContain('needle');
    expect(searches.length).toBeLessThan(6);

    await page.getByLabel('Search by name').fill('member-24');
    await page.getByLabel('Search by name').press('Enter');
    await expect.poll(() => firstNames()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => member(240 + i)));
    expect(await page.getByRole('button', { name: 'Next page' }).count()).toBe(0);

    await page.getByLabel('Search by name').fill('no-such-user');
    await page.getByLabel('Search by name').press('Enter');
    await expect.poll(() => pageStatus().textContent()).toContain('No username contains “no-such-user”.');
    expect(await usersTable().count()).toBe(0);
  });

  it('pages the users in the dark palette and at phone width, still accessible', async () => {
    await page.getByLabel('Search by name').fill('');
    await page.getByLabel('Search by name').press('Enter');
    await expect.poll(() => pageStatus().textContent()).toContain('Page 1: 50 users');
    await page.emulateMedia({ colorScheme: 'dark' });
    await photograph('lists-users-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 800 });
    await photograph('lists-users-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("filters the requests by a user found with the picker's search, by keyboard", async () => {
    await page.goto(`${aisbf.url}/requests`);
    await page.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
    const table = page.getByTestId('requests');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const picker = page.getByRole('combobox', { name: 'User' });
    await picker.focus();
    // Focus lists "everyone" and the first names only.
    await expect.poll(() => page.getByRole('listbox').getByRole('option').count()).toBe(1 + 8);
    await expect(page.getByRole('status').filter({ hasText: 'type more of the name' }).count()).resolves.toBe(1);
    await picker.pressSequentially('needle', { delay: 30 });
    await expect.poll(() => page.getByRole('listbox').getByRole('option').allTextContents()).toEqual([NEEDLE]);
    await picker.press('ArrowDown');
    expect(await picker.getAttribute('aria-activedescendant')).toBe('r-user-option-0');
    await photograph('lists-requests-picker');
    await picker.press('Enter');
    await expect.poll(() => picker.inputValue()).toBe(NEEDLE);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await expect(table.locator('tbody tr').first().textContent()).resolves.toContain('needle-route');
    const filtered = calls.filter((c) => c.procedure === 'usage.requests').at(-1);
    expect(filtered?.input['user']).toBe(NEEDLE);
    // Escape leaves the choice as it was.
    await picker.press('ArrowDown');
    await picker.fill('member');
    await picker.press('Escape');
    expect(await picker.inputValue()).toBe(NEEDLE);
    await picker.press('ArrowDown');
    await page.getByRole('option', { name: 'everyone' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
  });

  it('picks the scope of another user through the same search', async () => {
    await page
      .getByRole('link', { name: /providers/i })
      .first()
      .click();
    await page.getByRole('heading', { name: 'User Providers' }).waitFor();
    const scope = page.getByRole('combobox', { name: 'Scope' });
    await scope.fill('member-24');
    // The first 8 of the 10 names containing it.
    await expect
      .poll(() => page.getByRole('listbox').getByRole('option').allTextContents())
      .toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => member(240 + i)));
    await page.getByRole('option', { name: member(243), exact: true }).click();
    await expect.poll(() => scope.inputValue()).toBe(member(243));
    await expect
      .poll(() => calls.filter((c) => c.procedure === 'providers.list').at(-1)?.input['owner'])
      .toBe(member(243));
    await photograph('lists-scope-picker');
  });

  it('never asked for, nor got, more than one page of users, and never the whole list', () => {
    const procedures = new Set(calls.map((c) => c.procedure));
    expect(procedures.has('users.list')).toBe(false);
    const pages = calls.filter((c) => c.procedure === 'users.page');
    expect(pages.length).toBeGreaterThan(5);
    for (const c of pages) expect(Number(c.input['first'])).toBeLessThanOrEqual(USERS_PAGE_SIZE);
    expect(answeredSizes.length).toBeGreaterThan(5);
    expect(Math.max(...answeredSizes)).toBeLessThanOrEqual(USERS_PAGE_SIZE);
  });
});
