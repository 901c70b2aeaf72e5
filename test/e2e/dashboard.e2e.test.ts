import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SEED_AUTOSELECTS_JSON,
  SEED_ROTATIONS_JSON,
  startMockUpstream,
  type MockUpstream,
} from '../../packages/testkit/src/index';
import { axeViolations, type AxeViolation } from './axe-check';
import { ensureDashboardBuild } from './build-dashboard';
import { startAisbf, type RunningAisbf } from './start-aisbf';

// docs/dashboard.md: the walkthrough's dashboard steps, in a real Chromium, against a real `aisbf start`.
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-artifacts/screenshots');
const ADMIN_PASSWORD = 'e2e-admin-password-1';
const BROKER_TOKEN = 'coderai-broker-token';
const MODELS = ['qwen2.5-coder:32b', 'deepseek-coder-v2', 'mixtral-8x22b-instruct', 'gpt-4.1-mini'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

let mock: MockUpstream;
let aisbf: RunningAisbf;
let browser: Browser;
let page: Page;
let dataDir: string;
let token = '';
let bobPassword = '';

// Every page the test photographs is also checked with axe-core; the last test asserts none failed.
const a11y = new Map<string, AxeViolation[]>();
async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const found = await axeViolations(page, ROOT);
  if (found.length > 0) a11y.set(name, found);
}

async function addProvider(p: { id: string; endpoint: string; key: string; models?: string }): Promise<void> {
  await page.getByRole('button', { name: 'Add Provider' }).click();
  await page.getByLabel('Provider ID').fill(p.id);
  await page.getByLabel('Type').selectOption({ label: 'OpenAI-compatible' });
  await page.getByLabel('Endpoint').fill(p.endpoint);
  await page.getByLabel('Token / API key').fill(p.key);
  if (p.models !== undefined) await page.getByLabel('Models').fill(p.models);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Saved provider ${p.id}` })
    .waitFor();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dashboardDir = ensureDashboardBuild(ROOT);
  mock = await startMockUpstream({ models: MODELS, apiKey: BROKER_TOKEN, words: 12 });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-e2e-'));
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
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(10_000);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await aisbf?.stop();
  await mock?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('dashboard end to end (seed integration guide)', () => {
  it('sends a signed-out visitor to the login page and signs in', async () => {
    await page.goto(`${aisbf.url}/providers`);
    await page.waitForURL(/\/login\?next=%2Fproviders/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/wrong username or password/i);
    await shot('01-login');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'User Providers' }).waitFor();
  });

  it('adds coderai-local as written in the guide, shows field errors, and Get Models lists the mock models', async () => {
    // A bad endpoint is caught next to its field before any request.
    await page.getByRole('button', { name: 'Add Provider' }).click();
    await page.getByLabel('Provider ID').fill('coderai-local');
    await page.getByLabel('Endpoint').fill('coderai-broker.internal:8080');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.locator('#provider-endpoint-error').textContent()).resolves.toMatch(/http\(s\) URL/);
    await shot('02a-provider-form-errors');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Every provider type is offered; a preset fills its vendor's endpoint and says what it needs.
    await page.getByRole('button', { name: 'Add Provider' }).click();
    const types = await page.getByLabel('Type').locator('option').allTextContents();
    expect(types).toEqual(
      expect.arrayContaining(['OpenAI-compatible', 'Anthropic', 'Google Gemini', 'Ollama', 'Groq', 'vLLM']),
    );
    await page.getByLabel('Type').selectOption({ label: 'Groq' });
    await expect(page.getByLabel('Endpoint').inputValue()).resolves.toBe('https://api.groq.com/openai/v1');
    await expect(page.locator('#provider-type-hint').textContent()).resolves.toMatch(/^Needs an API key\./);
    await page.getByLabel('Type').selectOption({ label: 'OpenAI-compatible' });
    await expect(page.getByLabel('Endpoint').inputValue()).resolves.toBe('');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await addProvider({ id: 'coderai-local', endpoint: mock.url, key: BROKER_TOKEN });
    await page.locator('tr[data-provider="coderai-local"]').getByRole('button', { name: 'Get Models' }).click();
    const list = page.getByTestId('discovered-models');
    await list.waitFor({ timeout: 30_000 });
    for (const m of MODELS) await expect(list.textContent()).resolves.toContain(m);
    // Saving a provider already starts its discovery (docs/jobs.md "Discovery follows use"): the click
    // either joins that job (+4 added) or finds it done (no change); the list is the same either way.
    await expect(page.getByTestId('provider-activity').textContent()).resolves.toMatch(
      new RegExp(`\\+${MODELS.length} added|no change`),
    );
    // The key went to the upstream as the provider's bearer token (the mock refuses anything else).
    expect(mock.requests.some((r) => r.path === '/v1/models')).toBe(true);
    await shot('02-providers');

    await page.locator('tr[data-provider="coderai-local"]').getByRole('button', { name: 'Test' }).click();
    await page
      .getByTestId('provider-activity')
      .getByText(/Connection to/)
      .waitFor();
    await expect(page.getByTestId('provider-activity').locator('.badge').textContent()).resolves.toBe('OK');
  });

  it("creates the seed's coding-production rotation through the JSON view, with API errors shown until its providers exist", async () => {
    await page.getByRole('link', { name: 'Rotations' }).click();
    await page.getByRole('heading', { name: 'Rotations', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'JSON view' }).click();
    await page.getByLabel('JSON document').fill(SEED_ROTATIONS_JSON);
    await page.getByRole('button', { name: 'Save JSON' }).click();
    // runpod-gpu-a and openai-prod do not exist yet: the control plane says so, by path.
    await expect(page.locator('#rotations-json-errors').textContent()).resolves.toMatch(
      /providers\[1\]\.provider_id.*runpod-gpu-a/,
    );
    await shot('03-rotation-json-errors');

    await page.getByRole('link', { name: 'User Providers' }).click();
    await addProvider({
      id: 'runpod-gpu-a',
      endpoint: mock.url,
      key: BROKER_TOKEN,
      models: 'deepseek-coder-v2, mixtral-8x22b-instruct',
    });
    await addProvider({ id: 'openai-prod', endpoint: mock.url, key: BROKER_TOKEN, models: 'gpt-4.1-mini' });

    await page.getByRole('link', { name: 'Rotations' }).click();
    await page.getByRole('heading', { name: 'Rotations', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'JSON view' }).click();
    await page.getByLabel('JSON document').fill(SEED_ROTATIONS_JSON);
    await page.getByRole('button', { name: 'Save JSON' }).click();
    const card = page.locator('[data-rotation="coding-production"]');
    await card.waitFor();
    await expect(card.textContent()).resolves.toMatch(/100% \(primary\)/);
    await card.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Strategy').selectOption('weighted');
    await expect(page.locator('#entry-0-weight-hint').textContent()).resolves.toBe('60%');
    await shot('04-rotations');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it("accepts the seed's autoselect document and dry-runs a private prompt", async () => {
    await page.getByRole('link', { name: 'Autoselects' }).click();
    await page.getByRole('heading', { name: 'Autoselects', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'JSON view' }).click();
    await page.getByLabel('JSON document').fill(SEED_AUTOSELECTS_JSON);
    await page.getByRole('button', { name: 'Save JSON' }).click();
    await page.locator('[data-autoselect="engineering"]').waitFor();
    await page
      .getByLabel('Prompt')
      .fill(
        'Debug this: export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and mail bob@example.com',
      );
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect(page.getByText(/reason:/).textContent()).resolves.toMatch(/privacy/);
    await shot('05-autoselects');
  });

  it('creates an API token shown once, and a request with it through the data plane succeeds', async () => {
    await page.getByRole('link', { name: 'API Tokens' }).click();
    await page.getByRole('heading', { name: 'API Tokens', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('e2e-app');
    await page.getByRole('button', { name: 'Create token' }).click();
    token = (await page.getByTestId('new-token').textContent()) ?? '';
    expect(token).toMatch(/^aisbf_/);
    await shot('06-tokens');

    const client = new OpenAI({ baseURL: `${aisbf.url}/api/u/admin`, apiKey: token, maxRetries: 0 });
    const before = mock.requests.length;
    const answer = await client.chat.completions.create({
      model: 'user-rotation/coding-production',
      messages: [{ role: 'user', content: 'hello from the e2e test' }],
    });
    expect(answer.choices[0]?.message.content ?? '').not.toBe('');
    // The rotation's primary entry (coderai-local on the mock) served it.
    expect(mock.requests.slice(before).some((r) => r.path === '/v1/chat/completions')).toBe(true);

    // Once the page is left, the plaintext is gone for good.
    await page.reload();
    await expect(page.getByTestId('new-token').count()).resolves.toBe(0);

    // Revoking asks first; Cancel keeps the token, confirming revokes it and the data plane refuses it.
    await page.getByLabel('Name').fill('to-revoke');
    await page.getByRole('button', { name: 'Create token' }).click();
    const doomed = (await page.getByTestId('new-token').textContent()) ?? '';
    const row = page.locator('tr', { hasText: 'to-revoke' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    const stillValid = await fetch(`${aisbf.url}/api/u/admin/models`, {
      headers: { authorization: `Bearer ${doomed}` },
    });
    expect(stillValid.status).toBe(200);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    const refused = await fetch(`${aisbf.url}/api/u/admin/models`, { headers: { authorization: `Bearer ${doomed}` } });
    expect(refused.status).toBe(401);
  });

  it('shows the request on the usage page', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    const recent = page.getByTestId('usage-recent');
    const deadline = Date.now() + 20_000;
    // Usage is written asynchronously (usage-flush); re-query until it lands.
    while (!((await recent.textContent().catch(() => '')) ?? '').includes('coding-production')) {
      if (Date.now() > deadline)
        throw new Error(`usage never showed the request: ${await page.locator('main').textContent()}`);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForTimeout(500);
    }
    await expect(page.getByTestId('usage-requests').textContent()).resolves.not.toBe('0');
    await shot('07-usage');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).last().click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header).toContain('route');
    expect(lines.some((l) => l.includes('user-rotation/coding-production') && l.includes('coderai-local'))).toBe(true);

    // A route filter that matches nothing empties the report.
    await page.getByLabel('Route').fill('user-rotation/nothing-here');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByTestId('usage-requests').textContent()).resolves.toBe('0');
  });

  it('shows the exact curl and SDK snippets for a route', async () => {
    await page.getByRole('link', { name: 'Call a route' }).click();
    // The usage page (the previous step) also has a "Route" field: wait until the navigation landed.
    await page.getByRole('heading', { name: 'Call a route' }).waitFor();
    await page.getByLabel('Route').selectOption('user-rotation/coding-production');
    const curl = page.locator('pre').first();
    await expect(curl.textContent()).resolves.toContain(`${aisbf.url}/api/u/admin/chat/completions`);
    await expect(curl.textContent()).resolves.toContain('"model":"user-rotation/coding-production"');
    await shot('08-call');
  });

  it('lets the admin create a user with a generated password', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Username').fill('bob');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText(/Generated password for/).waitFor();
    // The list reloads after the password is shown: wait for it rather than read it once.
    await expect.poll(() => page.locator('table').textContent()).toContain('bob');
    await shot('09-users');
    bobPassword = (await page.locator('section.card code').first().textContent()) ?? '';
    expect(bobPassword.length).toBeGreaterThanOrEqual(8);
  });

  it("signs in as a plain user who sees neither Users nor the admin's providers", { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    const bob = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    // Fail on the step that hangs (with its locator in the message), not on the test's timeout.
    bob.setDefaultTimeout(15_000);
    try {
      await bob.goto(`${aisbf.url}/login`);
      await bob.getByLabel('Username').fill('bob');
      await bob.getByLabel('Password').fill(bobPassword);
      await bob.getByRole('button', { name: 'Sign in' }).click();
      await bob.getByRole('heading', { name: 'Overview' }).waitFor();
      await expect(bob.getByRole('link', { name: 'Users' }).count()).resolves.toBe(0);
      await bob.getByRole('link', { name: 'User Providers' }).click();
      await bob.getByText(/No providers yet/).waitFor();
      // A session that ends server-side (here: the cookie is gone) sends the next API call's user to /login.
      await bob.context().clearCookies();
      // A full load of a page whose API calls now answer 401 (a background refresh may already have
      // redirected, so no in-page click is relied on here).
      await bob.goto(`${aisbf.url}/usage`);
      await expect.poll(() => bob.url(), { timeout: 10_000 }).toMatch(/\/login\?next=%2Fusage/);
    } finally {
      await bob.close();
    }
    // Back to the admin's tab: start from a freshly loaded login page.
    await page.goto(`${aisbf.url}/login`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('shows the overview in light and dark, and the menu on a phone', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('config-version').filter({ hasNotText: '–' }).waitFor();
    await expect(page.locator('.health').textContent()).resolves.toContain('coderai-local');
    await shot('10-overview');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('11-overview-dark');
    await page.getByRole('link', { name: 'Rotations' }).click();
    await page.getByRole('heading', { name: 'Rotations', level: 1 }).waitFor();
    await page.locator('[data-rotation="coding-production"]').getByRole('button', { name: 'Edit' }).click();
    await shot('11a-rotation-form-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'User Providers' }).click();
    await page.getByRole('heading', { name: 'User Providers' }).waitFor();
    await shot('12-providers-phone');
  });

  it('has no serious or critical WCAG 2 AA violations (axe-core) on any page photographed, light or dark', () => {
    expect(Object.fromEntries(a11y)).toEqual({});
  });
});
