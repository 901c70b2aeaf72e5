import { describe, expect, it } from 'vitest';
import { checkEndpointAddress, checkEndpointHost, endpointTarget } from './check-endpoint';
import { defaultEndpointPolicy, resolveEndpointPolicy } from './endpoint-policy.schema';

const hostCheck = (endpoint: string, policy = defaultEndpointPolicy()) => {
  const target = endpointTarget(endpoint);
  if (!target.ok) return target;
  return checkEndpointHost(policy, target.value);
};

describe('checkEndpointHost with the default policy (LAN and public allowed)', () => {
  it.each([
    'http://127.0.0.1:11434/v1',
    'http://2130706433/v1',
    'http://0x7f000001/v1',
    'http://127.1:8080/v1',
    'http://[::1]:8000/v1',
    'http://[::ffff:127.0.0.1]/v1',
    'http://localhost:11434/v1',
    'http://api.localhost/v1',
    'http://169.254.169.254/latest/meta-data',
    'http://[fe80::1]/v1',
    'http://[fd00:ec2::254]/v1',
    'http://0.0.0.0:17765/v1',
    'http://[::]/v1',
    'http://metadata.google.internal/computeMetadata/v1',
    'http://224.0.0.1/v1',
    'ftp://192.168.1.5/v1',
    'not a url',
  ])('refuses %s', (endpoint) => {
    expect(hostCheck(endpoint).ok).toBe(false);
  });

  it.each([
    ['http://192.168.1.20:8000/v1', false],
    ['http://10.0.0.7/v1', false],
    ['https://api.openai.com/v1', true],
    ['https://broker.lan/v1', true],
    ['http://8.8.8.8/v1', false],
  ])('allows %s (resolve names: %s)', (endpoint, resolve) => {
    expect(hostCheck(endpoint)).toEqual({ ok: true, value: { resolve } });
  });

  it('names the host and the rule in the refusal', () => {
    const result = hostCheck('http://169.254.169.254/');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('169.254.169.254 is a metadata address');
  });
});

describe('policy knobs', () => {
  it('loopback, when allowed, still refuses the gateway ports and the actual ones', () => {
    const policy = resolveEndpointPolicy({ allow: ['loopback', 'lan', 'public'] }, [18000]);
    expect(hostCheck('http://127.0.0.1:11434/v1', policy).ok).toBe(true);
    for (const port of [17765, 17766, 17767, 18000]) {
      const r = hostCheck(`http://localhost:${port}/v1`, policy);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).toBe('gateway-port');
    }
  });

  it('LAN can be switched off; an allowHosts entry admits one LAN range back', () => {
    const publicOnly = resolveEndpointPolicy({ allow: ['public'] });
    expect(hostCheck('http://192.168.1.20/v1', publicOnly).ok).toBe(false);
    const withBroker = resolveEndpointPolicy({ allow: ['public'], allowHosts: ['192.168.1.0/24'] });
    expect(hostCheck('http://192.168.1.20/v1', withBroker).ok).toBe(true);
    expect(hostCheck('http://192.168.2.20/v1', withBroker).ok).toBe(false);
  });

  it('allowHosts never admits metadata or link-local', () => {
    const policy = resolveEndpointPolicy({ allowHosts: ['169.254.0.0/16', 'metadata.google.internal'] });
    expect(hostCheck('http://169.254.169.254/', policy).ok).toBe(false);
    expect(checkEndpointAddress(policy, { host: 'metadata.google.internal', port: 80 }, '169.254.169.254').ok).toBe(
      false,
    );
  });

  it('denyHosts wins: exact names, suffixes and CIDRs (also through IPv4-mapped IPv6)', () => {
    const policy = resolveEndpointPolicy({ denyHosts: ['evil.example', '*.corp', '10.9.0.0/16'] });
    expect(hostCheck('https://evil.example/v1', policy).ok).toBe(false);
    expect(hostCheck('https://gpu.corp/v1', policy).ok).toBe(false);
    expect(hostCheck('https://corp/v1', policy).ok).toBe(true);
    expect(hostCheck('http://10.9.3.4/v1', policy).ok).toBe(false);
    expect(hostCheck('http://[::ffff:10.9.3.4]/v1', policy).ok).toBe(false);
    expect(checkEndpointAddress(policy, { host: 'fine.example', port: 443 }, '10.9.0.1').ok).toBe(false);
  });
});

describe('checkEndpointAddress (connect time, after DNS)', () => {
  const policy = defaultEndpointPolicy();
  it.each([
    ['127.0.0.1', false],
    ['::1', false],
    ['169.254.169.254', false],
    ['::ffff:169.254.169.254', false],
    ['192.168.0.4', true],
    ['93.184.216.34', true],
  ])('a public name resolving to %s: allowed %s', (address, allowed) => {
    expect(checkEndpointAddress(policy, { host: 'api.example.com', port: 443 }, address).ok).toBe(allowed);
  });

  it('names both the host and the address', () => {
    const r = checkEndpointAddress(policy, { host: 'rebind.example', port: 80 }, '127.0.0.1');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('rebind.example (127.0.0.1)');
  });
});

describe("the gateway's own interface addresses (docs/security.md, second review, finding 3)", () => {
  // A gateway listening on all interfaces is reached through its LAN address too: a provider there
  // looped (one request made 6,557 nested requests in 3 s).
  const policy = resolveEndpointPolicy({}, [18000], ['127.0.0.1', '192.168.1.20', 'fd12::7', 'fe80::1%eth0']);

  it.each([
    'http://192.168.1.20:18000/v1',
    'http://192.168.1.20:17765/v1',
    'http://[::ffff:192.168.1.20]:18000/v1',
    'http://[::ffff:c0a8:114]:17766/v1',
    'http://3232235796:18000/v1',
    'http://[fd12::7]:18000/v1',
    'http://[fe80::1]:18000/v1',
  ])('refuses %s as the gateway itself', (endpoint) => {
    const r = hostCheck(endpoint, policy);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r).toMatchObject({
        error: { reason: 'gateway-port', message: expect.stringContaining('is the gateway itself') },
      });
  });

  it('other ports of the same host, and the same port elsewhere on the LAN, stay allowed', () => {
    expect(hostCheck('http://192.168.1.20:8000/v1', policy).ok).toBe(true);
    expect(hostCheck('http://192.168.1.21:18000/v1', policy).ok).toBe(true);
    expect(hostCheck('http://[fd12::8]:18000/v1', policy).ok).toBe(true);
  });

  it('a name that resolves to an own address is refused at connect time', () => {
    const r = checkEndpointAddress(policy, { host: 'gateway.lan', port: 18000 }, '192.168.1.20');
    expect(r).toMatchObject({
      ok: false,
      error: { reason: 'gateway-port', message: expect.stringContaining('gateway.lan (192.168.1.20):18000') },
    });
    expect(checkEndpointAddress(defaultEndpointPolicy(), { host: 'gateway.lan', port: 17765 }, '192.168.1.20').ok).toBe(
      true,
    );
  });
});
