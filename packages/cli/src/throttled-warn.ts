import type { Logger } from 'pino';

/** Contexts × messages remembered at most; past it the memory starts over (a repeat is then logged again). */
const MAX_KEYS = 200;

/**
 * A role's background-error logger that says each (context, message) once per window: while Redis
 * is away every client of a node reports every reconnect attempt (several hundred lines in 30 s
 * for a data-plane node), which buries the one line an operator needs. A repeat within the window
 * is counted, and the next line logged for it says how many were left out (`repeated`).
 */
export function createThrottledWarn(
  logger: Logger,
  msg: string,
  windowMs = 10_000,
  now: () => number = Date.now,
): (error: unknown, context: string) => void {
  const seen = new Map<string, { at: number; repeated: number }>();
  return (error, context) => {
    const key = `${context}\u0000${error instanceof Error ? error.message : String(error)}`;
    const t = now();
    const last = seen.get(key);
    if (last !== undefined && t - last.at < windowMs) {
      last.repeated += 1;
      return;
    }
    if (last === undefined && seen.size >= MAX_KEYS) seen.clear();
    seen.set(key, { at: t, repeated: 0 });
    logger.warn({ err: error, context, ...(last?.repeated ? { repeated: last.repeated } : {}) }, msg);
  };
}
