import { describe, expect, it } from 'vitest';
import {
  createSecretBox,
  generateApiToken,
  generateSecretKey,
  hashApiToken,
  hashPassword,
  secretHint,
  verifyPassword,
} from './index';

describe('secrets', () => {
  it('generates prefixed 256-bit tokens and hashes them to hex sha256', () => {
    const token = generateApiToken();
    expect(token).toMatch(/^aisbf_[A-Za-z0-9_-]{43}$/);
    expect(hashApiToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiToken(token)).not.toContain(token);
    expect(generateApiToken()).not.toBe(token);
  });

  it('seals and opens provider keys, and rejects tampering or the wrong key', () => {
    const box = createSecretBox(generateSecretKey());
    const sealed = box.encrypt('sk-live-123456');
    expect(sealed).not.toContain('sk-live');
    expect(box.decrypt(sealed)).toBe('sk-live-123456');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.decrypt(tampered)).toThrow();
    expect(() => createSecretBox(generateSecretKey()).decrypt(sealed)).toThrow();
  });

  it('hints without revealing the key', () => {
    expect(secretHint('sk-abcdefghijklmnopa1b2')).toBe('sk-…a1b2');
    expect(secretHint('short')).toBe('…');
  });

  it('verifies scrypt passwords', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored.startsWith('scrypt$')).toBe(true);
    await expect(verifyPassword('correct horse', stored)).resolves.toBe(true);
    await expect(verifyPassword('wrong', stored)).resolves.toBe(false);
  });
});
