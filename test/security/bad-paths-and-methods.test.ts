import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// Malformed paths were answered 500 with a stack in the log, and a wrong method 404: each is the
// client's mistake and gets the status that says so (400, and 405 with Allow, RFC 9110 §15.5.6).
const TOKEN = 'aisbf_badPathsAdminToken0123456789abcdefghijk';
let aisbf: AisbfProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-bad-paths-'));
  const dashboard = join(dataDir, 'dashboard');
  mkdirSync(dashboard);
  writeFileSync(join(dashboard, 'index.html'), '<!doctype html><title>aisbf</title>');
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: TOKEN, AISBF_HOST: '127.0.0.1', AISBF_DASHBOARD_DIR: dashboard },
    { args: ['--port', '0'] },
  );
}, 120_000);

afterAll(async () => {
  await aisbf?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A raw request: fetch() would normalise or refuse the malformed paths this test must send. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(aisbf.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('malformed paths and wrong methods', () => {
  it('answers 400, not 500, to a malformed percent-encoding, and logs no stack', async () => {
    for (const path of ['/%', '/api/u/%ZZ/models', '/providers/%E0%A4%A']) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatch(/percent-encoding/);
    }
    expect(aisbf.output()).not.toMatch(/URIError/);
  });

  it('treats a malformed session cookie as no session', async () => {
    const res = await raw('POST', '/graphql', {
      cookie: 'aisbf_session=%E0%A4%A',
      'content-type': 'application/json',
    });
    expect(res.status).toBeLessThan(500);
  });

  it('answers 405 with Allow for a wrong method, in the OpenAI error shape', async () => {
    const chat = await raw('GET', '/v1/chat/completions', { authorization: `Bearer ${TOKEN}` });
    expect(chat.status).toBe(405);
    expect(chat.headers['allow']).toBe('POST');
    expect(JSON.parse(chat.body)).toMatchObject({ error: { code: 'method_not_allowed' } });
    const models = await raw('POST', '/v1/models', { authorization: `Bearer ${TOKEN}` });
    expect(models.status).toBe(405);
    expect(models.headers['allow']).toBe('GET');
  });
});
