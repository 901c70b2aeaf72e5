/**
 * Removes secrets from an upstream error body before it is passed through to the client
 * (docs/security.md finding 1): an upstream that echoes the key it was given would otherwise hand
 * a global provider's key to every user. The provider's own key is removed in its plain,
 * URL-encoded and base64 forms; anything shaped like a bearer credential or an `sk-`-style key is
 * removed too, since upstreams may echo other keys (an org key, a proxied key).
 */
const REDACTED = '[redacted]';

/** `Bearer <credential>` and common API key shapes (`sk-…`, `sk_live_…`, `aisbf_…`, `ghp_…`). */
const SECRET_SHAPES: readonly RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(?:sk|pk|rk)[-_][A-Za-z0-9_-]{8,}/g,
  /\baisbf_[A-Za-z0-9_-]{8,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{16,}/g,
];

export function scrubSecretsText(text: string, keys: readonly string[]): string {
  let out = text;
  for (const key of keys) {
    // Very short keys would redact ordinary words; they are not secrets worth that risk.
    if (key.length < 6) continue;
    for (const form of new Set([
      key,
      encodeURIComponent(key),
      Buffer.from(key).toString('base64'),
      Buffer.from(key).toString('base64url'),
    ])) {
      out = out.split(form).join(REDACTED);
    }
  }
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** Body bytes with secrets removed; the JSON shape (status, type, code) is kept since only string contents change. */
export function scrubUpstreamBody(body: Buffer, keys: readonly string[]): Buffer {
  const text = body.toString('utf8');
  const scrubbed = scrubSecretsText(text, keys);
  return scrubbed === text ? body : Buffer.from(scrubbed, 'utf8');
}

const NOT_SECRET_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'anthropic-version', 'anthropic-beta']);

/**
 * Every credential the attempt sent: the bearer key, plus the values of the provider's own static
 * headers (an `x-api-key` or `api-key` header carries a key just as well).
 */
export function sentSecrets(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (NOT_SECRET_HEADERS.has(name.toLowerCase())) continue;
    const bearer = /^Bearer\s+(.+)$/i.exec(value);
    out.push(bearer?.[1] ?? value);
  }
  return out;
}
