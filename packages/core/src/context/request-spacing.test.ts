import { describe, expect, it } from 'vitest';
import type { RouteTarget } from '../routing/snapshot-index';
import type { SnapshotProvider } from '../snapshot';
import { requestSpacing } from './request-spacing';

const target = (rateLimitS?: number): RouteTarget => {
  const provider = {
    ownerId: 'u1',
    id: 'runpod',
    ...(rateLimitS === undefined ? {} : { rateLimitS }),
  } as SnapshotProvider;
  return { key: 'u1|runpod|qwen', provider, providerKey: 'u1|runpod', model: 'qwen', modelInfo: undefined };
};

describe('requestSpacing', () => {
  it("spaces the model when a model level sets rate_limit, over the provider's", () => {
    expect(requestSpacing(target(5), { rateLimitS: 2 })).toEqual({
      key: 'model:u1|runpod|qwen',
      intervalMs: 2000,
      what: 'runpod/qwen',
    });
  });

  it("spaces the whole provider with the provider's own rate_limit", () => {
    expect(requestSpacing(target(1.5), {})).toEqual({
      key: 'provider:u1|runpod',
      intervalMs: 1500,
      what: 'provider runpod',
    });
  });

  it("a model's rate_limit 0 lifts the provider's spacing; nothing set spaces nothing", () => {
    expect(requestSpacing(target(5), { rateLimitS: 0 })).toBeNull();
    expect(requestSpacing(target(), {})).toBeNull();
    expect(requestSpacing(target(0), {})).toBeNull();
  });
});
