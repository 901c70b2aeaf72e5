import type { z } from 'zod';
import type { Result } from './dialect';

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** JSON.parse that never throws: vendor bytes are untrusted. */
export function parseJson(text: string): Result<unknown, string> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return err('not JSON');
  }
}

/** Untrusted JSON read as `schema` says; null when it is not JSON or not of that shape. */
export function parseJsonAs<T>(text: string, schema: z.ZodType<T>): T | null {
  const json = parseJson(text);
  const parsed = json.ok ? schema.safeParse(json.value) : null;
  return parsed?.success === true ? parsed.data : null;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
