import type { UsageEvent } from '@aisbf/core';

/** A usage event with a unique id; `promptTokens` = `i` so sums prove exactly-once. */
export function makeUsageEvent(
  producer: string,
  i: number,
  at = 1_700_000_000_000 + i,
  overrides: Partial<UsageEvent> = {},
): UsageEvent {
  return {
    id: `${producer}-${String(i).padStart(6, '0')}-evt`,
    requestId: `req-${producer}-${i}`,
    at,
    userId: 'user-1',
    tokenId: 'token-1',
    route: 'rotation/coding',
    provider: 'lan',
    providerOwnerId: null,
    model: 'm1',
    endpoint: 'chat.completions',
    stream: i % 2 === 0,
    status: 200,
    outcome: 'ok',
    promptTokens: i,
    completionTokens: 1,
    estimated: false,
    latencyMs: 12,
    ttfbMs: 5,
    attempts: [{ provider: 'lan', model: 'm1', status: 200, outcome: 'ok', latencyMs: 12 }],
    ...overrides,
  };
}

export const sumTo = (n: number): number => (n * (n - 1)) / 2;

/**
 * One request that `providerId` (owned by `ownerId`, null = global) served at `at`: the periodic
 * health run only looks after providers in use (docs/jobs.md "Only what is used").
 */
export function servedBy(
  ownerId: string | null,
  providerId: string,
  at: number,
  userId = ownerId ?? 'user-1',
): UsageEvent {
  return makeUsageEvent(`served-${ownerId ?? 'global'}-${providerId}`, at % 1_000_000, at, {
    userId,
    provider: providerId,
    providerOwnerId: ownerId,
    route: `${ownerId === null ? 'provider' : 'user-provider'}/${providerId}/m1`,
    attempts: [{ provider: providerId, model: 'm1', status: 200, outcome: 'ok', latencyMs: 5 }],
  });
}
