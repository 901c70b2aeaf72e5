/** Expected failures in pure code are values, not exceptions (docs/conventions.md "Errors"). */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** JSON.parse that never throws: upstream bytes and user documents go through here. */
export function safeJsonParse(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return err(e instanceof Error ? e.message : 'invalid JSON');
  }
}
