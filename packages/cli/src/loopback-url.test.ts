import { describe, expect, it } from 'vitest';
import { loopbackUrl } from './loopback-url';

describe('loopbackUrl', () => {
  it('reaches a wildcard bind on loopback and a specific address as itself', () => {
    expect(loopbackUrl('0.0.0.0', 17765)).toBe('http://127.0.0.1:17765');
    expect(loopbackUrl('::', 1)).toBe('http://[::1]:1');
    expect(loopbackUrl('127.0.0.1', 2)).toBe('http://127.0.0.1:2');
    expect(loopbackUrl('fd00::5', 3)).toBe('http://[fd00::5]:3');
    expect(loopbackUrl('localhost', 4)).toBe('http://localhost:4');
  });
});
