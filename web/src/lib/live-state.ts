import type { LiveEntry } from './api-types';

type LiveHealth = NonNullable<LiveEntry['health']>['provider'];

/** "in 25 s", "in 3 min": how long a cooldown still runs, from the page's clock. */
export function remaining(untilIso: string, now: number): string {
  const s = Math.max(0, Math.ceil((Date.parse(untilIso) - now) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** A clock time for a timestamp of today, the date too otherwise. */
export function clockTime(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const d = new Date(iso);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

/**
 * The entry's availability in one word, the way the data plane decides it (docs/reliability.md):
 * a cooldown still running skips it; an unhealthy mark within its error_cooldown skips it; a mark
 * older than that is half-open (the next request probes it).
 */
export function entryStatus(entry: LiveEntry, now: number): 'cooling down' | 'unhealthy' | 'half-open' | 'ready' {
  if (entry.cooldown !== null && Date.parse(entry.cooldown.until) > now) return 'cooling down';
  const states = entry.health === null ? [] : [entry.health.provider.state, entry.health.model.state];
  if (states.includes('unhealthy')) return 'unhealthy';
  if (states.includes('half-open')) return 'half-open';
  return 'ready';
}

/** The badge class for a health state or an entry status. */
export function stateClass(state: string): string {
  if (state === 'healthy' || state === 'ready') return 'healthy';
  if (state === 'unhealthy' || state === 'cooling down') return 'unhealthy';
  if (state === 'half-open') return 'warn';
  return 'unknown';
}

export function healthText(h: LiveHealth, now: number): string {
  const probe = `last check ${clockTime(h.checkedAt, now)}`;
  return h.error === null ? probe : `${probe}: ${h.error}`;
}
