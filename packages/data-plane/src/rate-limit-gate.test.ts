import type { SnapshotToken, SnapshotUser } from '@aisbf/core';
import { createMemoryRateLimiter } from '@aisbf/bus';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createRateLimitGate } from './rate-limit-gate';

const user = (limits?: SnapshotUser['limits']): SnapshotUser => ({
  id: 'u1',
  username: 'ann',
  role: 'user',
  disabled: false,
  ...(limits === undefined ? {} : { limits }),
});
const token = (limits?: SnapshotToken['limits']): SnapshotToken => ({
  id: 't1',
  userId: 'u1',
  name: 'cli',
  hash: 'h',
  expiresAt: null,
  ...(limits === undefined ? {} : { limits }),
});

describe('rate limit gate', () => {
  it('checks kept between requests follow a new snapshot of the same token and user', async () => {
    const gate = createRateLimitGate(createMemoryRateLimiter(), pino({ level: 'silent' }));
    const first = { token: token({ requestsPerMinute: 2 }), user: user() };
    const checks = gate.checks(first)!;
    expect(checks).toEqual([{ key: 'token:t1', limit: 2, unit: 'requests' }]);
    expect(gate.checks(first)).toBe(checks);
    expect(await gate.hit(checks)).toBeNull();
    expect(await gate.hit(gate.checks(first)!)).toBeNull();
    expect((await gate.hit(gate.checks(first)!))?.code).toBe('RATE_LIMITED');
    // A new snapshot raises the token's limit and gives its user one: both apply at once.
    const second = { token: token({ requestsPerMinute: 3 }), user: user({ requestsPerMinute: 10 }) };
    expect(gate.checks(second)).toEqual([
      { key: 'token:t1', limit: 3, unit: 'requests' },
      { key: 'user:u1', limit: 10, unit: 'requests' },
    ]);
    expect(await gate.hit(gate.checks(second)!)).toBeNull();
    expect((await gate.hit(gate.checks(second)!))?.code).toBe('RATE_LIMITED');
    // Limits removed: nothing to check.
    expect(gate.checks({ token: token(), user: user() })).toBeNull();
  });
});
