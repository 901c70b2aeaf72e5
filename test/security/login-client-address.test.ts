import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  clientAddress,
  createControlPlane,
  createInProcessJobRunner,
  createLoginRateLimiter,
  trustedProxies,
  type ControlPlane,
  type LoginRateLimiter,
} from '@aisbf/control-plane';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../packages/cli/src/env';

// Behind the shipped nginx every client shared the proxy's address, so one guesser locked everyone
// out (and X-Forwarded-For could not be trusted from anyone). The client address is now read from
// X-Forwarded-For only when the socket's peer is in AISBF_TRUSTED_PROXIES; stale keys are swept.
let handle: DatabaseHandle;
let server: Server;
let base = '';
let keys: string[] = [];

const recording = (inner: LoginRateLimiter): LoginRateLimiter => ({
  ...inner,
  fail: (key) => {
    keys.push(key);
    inner.fail(key);
  },
});

async function serve(trusted: string[]): Promise<ControlPlane> {
  const secretBox = createSecretBox(generateSecretKey());
  const publish = async (): Promise<void> => undefined;
  const cp = createControlPlane({
    db: handle.db,
    secretBox,
    publisher: { publish },
    jobs: createInProcessJobRunner({ db: handle.db, secretBox, publish }),
    loginLimiter: recording(createLoginRateLimiter()),
    trustedProxies: trustedProxies(trusted),
  });
  server?.close();
  server = createServer((req, res) => cp.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return cp;
}

const failLogin = async (forwardedFor?: string): Promise<string | undefined> => {
  keys = [];
  await fetch(`${base}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify({ username: 'nobody', password: 'wrong' }),
  });
  return keys.find((k) => k.startsWith('ip:'));
};

beforeAll(async () => {
  handle = createDatabase('sqlite::memory:');
  await migrateToLatest(handle.db);
});

afterAll(async () => {
  server?.close();
  await handle?.close();
});

describe('the login limiter’s client address', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const cp = await serve([]);
    expect(await failLogin('203.0.113.9')).toBe('ip:127.0.0.1');
    await cp.close();
  });

  it('behind a trusted proxy, keys on the client the proxy names, not on what the client wrote', async () => {
    const cp = await serve(['127.0.0.0/8']);
    expect(await failLogin('203.0.113.9')).toBe('ip:203.0.113.9');
    // A client that writes its own X-Forwarded-For: nginx appends the real peer on the right.
    expect(await failLogin('1.2.3.4, 198.51.100.7')).toBe('ip:198.51.100.7');
    await cp.close();
  });

  it('skips chained trusted hops and maps IPv4-mapped IPv6 peers', () => {
    const trusted = trustedProxies(['10.0.0.0/8', '::1']);
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.7, 10.1.1.1', trusted)).toBe('198.51.100.7');
    expect(clientAddress('::1', '2001:db8::5', trusted)).toBe('2001:db8::5');
    expect(clientAddress('192.0.2.1', '198.51.100.7', trusted)).toBe('192.0.2.1');
    expect(clientAddress('10.0.0.2', 'not-an-ip', trusted)).toBe('10.0.0.2');
  });

  it('AISBF_TRUSTED_PROXIES is parsed at boot, and a bad entry names the variable', () => {
    expect(parseEnv({ AISBF_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1/128' }).AISBF_TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1/128',
    ]);
    expect(parseEnv({}).AISBF_TRUSTED_PROXIES).toEqual([]);
    expect(() => parseEnv({ AISBF_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/AISBF_TRUSTED_PROXIES/);
    expect(() => parseEnv({ AISBF_TRUSTED_PROXIES: 'proxy.local' })).toThrow(/AISBF_TRUSTED_PROXIES/);
  });

  it('sweeps keys whose failures left the window', () => {
    let now = 0;
    const limiter = createLoginRateLimiter({ windowMs: 60_000, now: () => now });
    for (let i = 0; i < 1000; i++) limiter.fail(`ip:10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size()).toBe(1000);
    now += 60_001;
    limiter.fail('ip:192.0.2.1');
    expect(limiter.size()).toBe(1);
  });
});
