import { describe, expect, it } from 'vitest';
import { normalizeProviderType } from './provider-types';

describe('normalizeProviderType against inherited keys', () => {
  it('refuses __proto__, constructor and toString instead of reading the prototype', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
      expect(normalizeProviderType(name)).toBeNull();
  });
});
