import { describe, expect, it } from 'vitest';
import { createMemorySessionStore } from '../memory-session-store';
import { createLoginRateLimiter } from './login-rate-limiter';

describe('createLoginRateLimiter', () => {
  it('blocks a key after maxFailures in the window, frees it as failures age out, and resets on success', () => {
    let now = 1_000_000;
    const limiter = createLoginRateLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    limiter.fail('u:a');
    now += 10_000;
    limiter.fail('u:a');
    expect(limiter.retryAfterS('u:a')).toBe(0);
    limiter.fail('u:a');
    expect(limiter.retryAfterS('u:a')).toBe(50);
    expect(limiter.retryAfterS('u:b')).toBe(0);
    now += 50_001; // the first failure leaves the window
    expect(limiter.retryAfterS('u:a')).toBe(0);
    limiter.fail('u:a');
    expect(limiter.retryAfterS('u:a')).toBeGreaterThan(0);
    limiter.reset('u:a');
    expect(limiter.retryAfterS('u:a')).toBe(0);
  });
});

describe('createMemorySessionStore', () => {
  it('expires sessions, deletes one or all of a user, and makes unguessable ids', async () => {
    let now = 0;
    const store = createMemorySessionStore({ now: () => now });
    const a = await store.create('u1', 1000);
    const b = await store.create('u1', 5000);
    const c = await store.create('u2', 5000);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.get(a)).toEqual({ userId: 'u1', expiresAt: 1000 });
    now = 1000;
    expect(await store.get(a)).toBeNull();
    await store.deleteForUser('u1');
    expect(await store.get(b)).toBeNull();
    expect(await store.get(c)).toEqual({ userId: 'u2', expiresAt: 5000 });
    await store.delete(c);
    expect(await store.get(c)).toBeNull();
  });
});
