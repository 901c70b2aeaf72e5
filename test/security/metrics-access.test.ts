import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// `/metrics` names every tenant's routes and providers; it was served to anyone who asked. It is
// now served only with AISBF_METRICS_TOKEN (bearer) or on AISBF_METRICS_PORT, and is 404 otherwise
// (docs/observability.md "Access").
const ADMIN = 'aisbf_metricsAccessAdminToken0123456789abcdefgh';
const METRICS_TOKEN = 'metrics-scrape-secret-0123456789';
const dirs: string[] = [];
let plain: AisbfProcess;
let withToken: AisbfProcess;
let withPort: AisbfProcess;
let metricsPort: number;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): Promise<AisbfProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aisbf-metrics-access-'));
  dirs.push(dataDir);
  return spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1', ...env },
    { args: ['--port', '0'] },
  );
}

beforeAll(async () => {
  metricsPort = await freePort();
  [plain, withToken, withPort] = await Promise.all([
    start({}),
    start({ AISBF_METRICS_TOKEN: METRICS_TOKEN }),
    start({ AISBF_METRICS_PORT: String(metricsPort) }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([plain?.stop(), withToken?.stop(), withPort?.stop()]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const scrape = (url: string, authorization?: string): Promise<Response> =>
  fetch(`${url}/metrics`, authorization === undefined ? {} : { headers: { authorization } });

describe('/metrics access (aisbf start)', () => {
  it('is not served when neither AISBF_METRICS_TOKEN nor AISBF_METRICS_PORT is set, even to the admin', async () => {
    const anonymous = await scrape(plain.url);
    expect(anonymous.status).toBe(404);
    const body = await anonymous.text();
    expect(body).not.toMatch(/aisbf_|gen_ai_/);
    expect(body).toMatch(/AISBF_METRICS_TOKEN/);
    // An API token (even the admin's) is not a metrics credential.
    expect((await scrape(plain.url, `Bearer ${ADMIN}`)).status).toBe(404);
    // The rest of the port still works.
    expect((await fetch(`${plain.url}/healthz`)).status).toBe(200);
  });

  it('with AISBF_METRICS_TOKEN: no token and a wrong token are 401, the right token is 200', async () => {
    const none = await scrape(withToken.url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.text()).not.toMatch(/aisbf_requests_total|gen_ai_/);
    const wrong = await scrape(withToken.url, `Bearer ${METRICS_TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect((await scrape(withToken.url, `Bearer ${ADMIN}`)).status).toBe(401);
    expect((await scrape(withToken.url, METRICS_TOKEN)).status).toBe(401);
    const right = await scrape(withToken.url, `Bearer ${METRICS_TOKEN}`);
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await right.text()).toMatch(/^aisbf_config_version /m);
  });

  it('with AISBF_METRICS_PORT: served there (and nothing else is), not on the main port', async () => {
    const main = await scrape(withPort.url);
    expect(main.status).toBe(404);
    expect(await main.text()).not.toMatch(/aisbf_config_version/);
    const separate = `http://127.0.0.1:${metricsPort}`;
    const served = await scrape(separate);
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/^aisbf_config_version /m);
    const other = await fetch(`${separate}/v1/models`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(other.status).toBe(404);
    expect((await fetch(`${separate}/graphql`)).status).toBe(404);
    // The API stays on the main port.
    expect((await fetch(`${withPort.url}/v1/models`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(
      200,
    );
  });
});
