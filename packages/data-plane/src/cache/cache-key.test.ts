import { describe, expect, it } from 'vitest';
import type { Resolution } from '@aisbf/core';
import { canonicalJson, responseCacheKey } from './cache-key';

const rotation = (id: string, ownerId: string | null): Resolution =>
  ({ kind: 'rotation', id, ownerId, route: `rotation/${id}` }) as unknown as Resolution;
const provider = (id: string, ownerId: string | null, model: string): Resolution =>
  ({
    kind: 'provider',
    route: `provider/${id}/${model}`,
    target: { provider: { id, ownerId }, model },
  }) as unknown as Resolution;
const key = (body: Record<string, unknown>, over: { userId?: string; resolution?: Resolution } = {}): string =>
  responseCacheKey({
    userId: over.userId ?? 'u1',
    endpoint: 'chat.completions',
    resolution: over.resolution ?? rotation('r', null),
    body,
  });
const base = { model: 'r', messages: [{ role: 'user', content: 'hi' }], temperature: 0.5 };

describe('responseCacheKey', () => {
  it('ignores key order, the route spelling and delivery fields', () => {
    const k = key(base);
    expect(key({ temperature: 0.5, messages: [{ content: 'hi', role: 'user' }], model: 'rotation/r' })).toBe(k);
    expect(key({ ...base, stream: true, stream_options: { include_usage: true } })).toBe(k);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the user, the backend and every answer-shaping field', () => {
    const k = key(base);
    const others = [
      key(base, { userId: 'u2' }),
      key(base, { resolution: rotation('r', 'u1') }),
      key(base, { resolution: rotation('r2', null) }),
      key(base, { resolution: provider('p', null, 'm1') }),
      key({ ...base, temperature: 0.50001 }),
      key({ ...base, seed: 1 }),
      key({ ...base, top_p: 0.9 }),
      key({ ...base, tools: [{ type: 'function', function: { name: 'f' } }] }),
      key({ ...base, response_format: { type: 'json_object' } }),
      key({ ...base, user: 'end-user-7' }),
      key({ ...base, messages: [{ role: 'user', content: 'hi!' }] }),
    ];
    expect(new Set([k, ...others]).size).toBe(others.length + 1);
    expect(key(base, { resolution: provider('p', null, 'm1') })).not.toBe(
      key(base, { resolution: provider('p', null, 'm2') }),
    );
    expect(key(base, { resolution: provider('p', null, 'm1') })).not.toBe(
      key(base, { resolution: provider('p', 'u1', 'm1') }),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[2,1]},"b":1}');
  });
});
