/**
 * A provider's `headers` setting holds credentials as often as not (`Authorization`, `X-Api-Key`,
 * a gateway's tenant key), so every value is kept like the provider's API key
 * (docs/architecture.md "Secrets"): sealed at rest under the settings key `headers_enc`, name →
 * `{enc, hint}` (`enc` is SecretBox ciphertext, `hint` what exports show instead), and sealed inside
 * the snapshot too (`SnapshotProvider.headersEnc`). Rows written before this rule keep a plaintext
 * `headers` map until the boot reseal rewrites them; readers accept both.
 */
export const SEALED_HEADERS_SETTING = 'headers_enc';

export interface SealedHeader {
  /** SecretBox ciphertext (`v1:…`). */
  enc: string;
  /** What exports and views show instead of the value (`Bear…1a2b`). */
  hint: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The sealed headers of a provider's stored settings (malformed entries are ignored). */
export function sealedHeadersOf(settings: Record<string, unknown>): Record<string, SealedHeader> {
  const raw = settings[SEALED_HEADERS_SETTING];
  const out: Record<string, SealedHeader> = {};
  if (!isRecord(raw)) return out;
  for (const [name, value] of Object.entries(raw))
    if (isRecord(value) && typeof value['enc'] === 'string' && typeof value['hint'] === 'string')
      out[name] = { enc: value['enc'], hint: value['hint'] };
  return out;
}

/** Plaintext headers of a row written before header values were sealed. */
export function legacyHeadersOf(settings: Record<string, unknown>): Record<string, string> {
  const raw = settings['headers'];
  const out: Record<string, string> = {};
  if (!isRecord(raw)) return out;
  for (const [name, value] of Object.entries(raw)) if (typeof value === 'string') out[name] = value;
  return out;
}

/**
 * Whether a header value is an export's redaction rather than a value: hints contain `…` (U+2026),
 * which no HTTP field value can carry (RFC 9110 §5.5 allows visible ASCII and obs-text bytes only),
 * so a real value is never mistaken for one.
 */
export const isRedactedHeaderValue = (value: string): boolean => value.includes('\u2026');

/** Every header of a provider in plaintext (for the jobs' probes): legacy ones, then the sealed ones. */
export function providerHeadersOf(
  settings: Record<string, unknown>,
  decrypt: (sealed: string) => string,
): Record<string, string> {
  const out = legacyHeadersOf(settings);
  for (const [name, sealed] of Object.entries(sealedHeadersOf(settings))) out[name] = decrypt(sealed.enc);
  return out;
}
