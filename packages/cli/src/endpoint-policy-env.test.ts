import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from './env';

describe('AISBF_ENDPOINT_POLICY', () => {
  it('unset: loopback, LAN and public for user-owned providers (gateway ports and metadata are refused by the checks)', () => {
    expect(parseEnv({}).AISBF_ENDPOINT_POLICY).toEqual({
      allow: ['loopback', 'lan', 'public'],
      allowHosts: [],
      denyHosts: [],
      gatewayPorts: [17765, 17766, 17767],
    });
  });

  it('parses a JSON policy and fills its defaults', () => {
    expect(parseEnv({ AISBF_ENDPOINT_POLICY: '{"denyHosts":["*.corp"]}' }).AISBF_ENDPOINT_POLICY).toMatchObject({
      allow: ['lan', 'public'],
      denyHosts: ['*.corp'],
    });
  });

  it.each(['not json', '{"allow":["everything"]}'])('refuses %s at boot, naming the variable', (value) => {
    expect(() => parseEnv({ AISBF_ENDPOINT_POLICY: value })).toThrow(EnvError);
    expect(() => parseEnv({ AISBF_ENDPOINT_POLICY: value })).toThrow(/AISBF_ENDPOINT_POLICY/);
  });
});
