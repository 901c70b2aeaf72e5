import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for provider API keys at rest and inside snapshots (docs/architecture.md "Secrets").
 * Format: `v1:<iv>:<tag>:<ciphertext>`, each base64url.
 */
export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
}

/** `AISBF_SECRET_KEY`: 32 bytes as 64 hex chars or base64; any other string is stretched with SHA-256. */
export function deriveKey(secret: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(secret)) return Buffer.from(secret, 'hex');
  const b64 = Buffer.from(secret, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(secret)) return b64;
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('hex');
}

export function createSecretBox(secret: string): SecretBox {
  const key = deriveKey(secret);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `v1:${iv.toString('base64url')}:${tag.toString('base64url')}:${ct.toString('base64url')}`;
    },
    decrypt(sealed) {
      const parts = sealed.split(':');
      if (parts.length !== 4 || parts[0] !== 'v1') throw new Error('sealed secret has an unknown format');
      const [, iv, tag, ct] = parts as [string, string, string, string];
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** `sk-…a1b2`: what APIs show instead of a provider key. */
export function secretHint(plaintext: string): string {
  if (plaintext.length < 8) return '…';
  const head = plaintext.includes('-') ? plaintext.slice(0, plaintext.indexOf('-') + 1) : plaintext.slice(0, 2);
  return `${head.slice(0, 6)}…${plaintext.slice(-4)}`;
}
