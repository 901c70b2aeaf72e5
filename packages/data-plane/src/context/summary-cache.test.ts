import { describe, expect, it } from 'vitest';
import { createSummaryCache, prefixKeys } from './summary-cache';

describe('createSummaryCache', () => {
  it('drops the least recently used summary past its entry bound', () => {
    const cache = createSummaryCache({ maxEntries: 2 });
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
    expect(cache.size).toBe(2);
  });

  it('keeps the characters it holds under its bound, and never stores one summary larger than it', () => {
    const cache = createSummaryCache({ maxEntries: 100, maxChars: 10 });
    cache.set('a', 'x'.repeat(6));
    cache.set('b', 'y'.repeat(6));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe('yyyyyy');
    cache.set('huge', 'z'.repeat(11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('b')).toBe('yyyyyy');
  });
});

describe('prefixKeys', () => {
  const messages = [
    { role: 'user', content: 'one' },
    { role: 'assistant', content: 'two' },
    { role: 'user', content: 'three' },
  ];
  it('gives a prefix the same key whatever follows it, and another scope another key', () => {
    const short = prefixKeys('alice', messages.slice(0, 2), [2]);
    const long = prefixKeys('alice', [...messages, { role: 'user', content: 'four' }], [2, 3]);
    expect(long.get(2)).toBe(short.get(2));
    expect(long.get(3)).not.toBe(long.get(2));
    expect(prefixKeys('bob', messages, [2]).get(2)).not.toBe(short.get(2));
    const edited = [messages[0], { role: 'assistant', content: 'TWO' }];
    expect(prefixKeys('alice', edited, [2]).get(2)).not.toBe(short.get(2));
  });
});
