import { describe, expect, it } from 'vitest';
import { trieSource } from './privacy-scan';

describe('trieSource', () => {
  it('matches exactly the keywords, preferring the longer of two that share a prefix', () => {
    const words = ['pass', 'password', 'pwd', 'sk-', 'sk_', 'd.o.b', 'dob', 'last name'];
    const re = new RegExp(trieSource(words), 'g');
    const found = [...'my password, pass, pwd, sk- sk_ skx d.o.b dob dxob last name lastname'.matchAll(re)].map(
      (m) => m[0],
    );
    expect(found).toEqual(['password', 'pass', 'pwd', 'sk-', 'sk_', 'd.o.b', 'dob', 'last name']);
  });

  it('escapes regex characters in keywords', () => {
    const re = new RegExp(`^(?:${trieSource(['ya29.', '://'])})$`);
    expect(re.test('ya29.')).toBe(true);
    expect(re.test('ya29x')).toBe(false);
    expect(re.test('://')).toBe(true);
  });
});
