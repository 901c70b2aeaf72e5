import { describe, expect, it } from 'vitest';
import type { CachedAnswer } from '@aisbf/core';
import { createMemoryResponseCacheStore } from './memory-response-cache-store';

const answer = (body: string): CachedAnswer => ({
  v: 1,
  provider: 'p',
  providerOwnerId: null,
  model: 'm',
  body,
  promptTokens: 1,
  completionTokens: 1,
  estimated: false,
  storedAt: 0,
});

describe('memory response cache store', () => {
  it('evicts the least recently used entries to stay within its byte bound', async () => {
    const store = createMemoryResponseCacheStore({ maxBytes: 3 * (1000 * 2 + 600) });
    await store.set('a', answer('a'.repeat(1000)), 60_000);
    await store.set('b', answer('b'.repeat(1000)), 60_000);
    await store.set('c', answer('c'.repeat(1000)), 60_000);
    expect(await store.get('a')).not.toBeNull(); // a is now the most recently used
    await store.set('d', answer('d'.repeat(1000)), 60_000);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).not.toBeNull();
    expect(await store.get('d')).not.toBeNull();
    expect(store.bytes()).toBeLessThanOrEqual(3 * (1000 * 2 + 600));
    await store.set('huge', answer('x'.repeat(10_000)), 60_000);
    expect(await store.get('huge')).toBeNull();
    expect(store.size()).toBe(3);
  });

  it('expires entries after their TTL and replaces on re-set without double counting', async () => {
    let now = 0;
    const store = createMemoryResponseCacheStore({ now: () => now });
    await store.set('k', answer('one'), 1000);
    const bytes = store.bytes();
    await store.set('k', answer('two'), 1000);
    expect(store.bytes()).toBe(bytes);
    now = 999;
    expect((await store.get('k'))?.body).toBe('two');
    now = 1000;
    expect(await store.get('k')).toBeNull();
    expect(store.bytes()).toBe(0);
  });
});
