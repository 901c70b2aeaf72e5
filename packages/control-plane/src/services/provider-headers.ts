import { legacyHeadersOf, SEALED_HEADERS_SETTING, sealedHeadersOf } from '@aisbf/core';
import type { StoredProvider } from '@aisbf/db';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What `writeProvider` reads as "keep the stored value" (a redaction: it contains `…`). */
const KEEP_STORED = '\u2026';

/** Header names of a stored provider; their values are never shown (they often carry credentials). */
export function headerNames(provider: StoredProvider): string[] {
  return [
    ...new Set([
      ...Object.keys(legacyHeadersOf(provider.settings)),
      ...Object.keys(sealedHeadersOf(provider.settings)),
    ]),
  ];
}

/** The stored settings a view may show: everything but the headers (values, sealed or not). */
export function visibleSettings(provider: StoredProvider): Record<string, unknown> {
  const rest = { ...provider.settings };
  delete rest['headers'];
  delete rest[SEALED_HEADERS_SETTING];
  return rest;
}

/**
 * A header sent back with a null value means "unchanged": the editor shows values redacted, so it
 * cannot send them back. Such a header keeps its stored (sealed) value; a header the stored provider
 * does not have is left null (and refused by validation). Headers left out are removed.
 */
export function keepStoredHeaders(raw: Record<string, unknown>, stored: StoredProvider | undefined): void {
  const headers = raw['headers'];
  if (!isRecord(headers)) return;
  const names = new Set(stored === undefined ? [] : headerNames(stored));
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers))
    kept[name] = value === null && names.has(name) ? KEEP_STORED : value;
  raw['headers'] = kept;
}
