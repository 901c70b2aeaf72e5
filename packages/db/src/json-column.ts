import { safeJsonParse } from '@aisbf/core';

/** Reads a JSON TEXT column; a corrupt value reads as null rather than failing a whole listing. */
export function readJson(text: string | null): unknown {
  if (text === null) return null;
  const parsed = safeJsonParse(text);
  return parsed.ok ? parsed.value : null;
}

export const writeJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

export const toBool = (value: number | null | undefined): boolean => Number(value ?? 0) !== 0;
export const fromBool = (value: boolean): number => (value ? 1 : 0);

/** MySQL returns aggregates as strings (DECIMAL); SQLite as numbers. */
export const toNumber = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
