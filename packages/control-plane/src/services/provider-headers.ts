import type { StoredProvider } from '@aisbf/db';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Header names of a stored provider; their values are never shown (they often carry credentials). */
export function headerNames(provider: StoredProvider): string[] {
  const headers = provider.settings['headers'];
  return isRecord(headers) ? Object.keys(headers) : [];
}

/** The stored settings a view may show: everything but the header values. */
export function visibleSettings(provider: StoredProvider): Record<string, unknown> {
  const { headers: _hidden, ...rest } = provider.settings;
  return rest;
}

/**
 * A header sent back with a null value means "unchanged": the editor shows values redacted, so it
 * cannot send them back. Such a header keeps its stored value; a header the stored provider does
 * not have is left null (and refused by validation). Headers left out are removed.
 */
export function keepStoredHeaders(raw: Record<string, unknown>, stored: StoredProvider | undefined): void {
  const headers = raw['headers'];
  if (!isRecord(headers)) return;
  const before = stored === undefined ? {} : stored.settings['headers'];
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const previous = isRecord(before) ? before[name] : undefined;
    kept[name] = value === null && typeof previous === 'string' ? previous : value;
  }
  raw['headers'] = kept;
}
