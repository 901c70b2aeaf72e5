import { GatewayError } from '../errors';
import type { BudgetLine } from '../ports';
import type { Limits } from '../snapshot';

export type BudgetMetric = 'requests' | 'tokens' | 'cost';
export type BudgetPeriod = 'day' | 'month';

export interface PlannedLine extends BudgetLine {
  scope: 'user' | 'token';
  metric: BudgetMetric;
  period: BudgetPeriod;
}

/** What a request is expected to use, reserved at its start and corrected at settlement. */
export interface BudgetAmounts {
  tokens: number;
  costMicros: number;
}

const LIMIT_FIELDS: ReadonlyArray<[keyof Limits, BudgetMetric, BudgetPeriod]> = [
  ['requestsPerDay', 'requests', 'day'],
  ['requestsPerMonth', 'requests', 'month'],
  ['tokensPerDay', 'tokens', 'day'],
  ['tokensPerMonth', 'tokens', 'month'],
  ['costMicrosPerDay', 'cost', 'day'],
  ['costMicrosPerMonth', 'cost', 'month'],
];

export interface BudgetWindow {
  readonly id: string;
  readonly resetAt: number;
}

/** The window each period was last asked for, and the instants it covers: every request asks. */
const lastWindows: Record<BudgetPeriod, { from: number; window: BudgetWindow }> = {
  day: { from: Infinity, window: { id: '', resetAt: -Infinity } },
  month: { from: Infinity, window: { id: '', resetAt: -Infinity } },
};

/** Calendar windows in UTC: every node and every time zone agree on when a day or month resets. */
export function budgetWindow(period: BudgetPeriod, now: number): BudgetWindow {
  const last = lastWindows[period];
  if (now >= last.from && now < last.window.resetAt) return last.window;
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const mm = String(m + 1).padStart(2, '0');
  if (period === 'month') {
    last.from = Date.UTC(y, m, 1);
    last.window = { id: `m${y}-${mm}`, resetAt: Date.UTC(y, m + 1, 1) };
  } else {
    const day = d.getUTCDate();
    last.from = Date.UTC(y, m, day);
    last.window = { id: `d${y}-${mm}-${String(day).padStart(2, '0')}`, resetAt: Date.UTC(y, m, day + 1) };
  }
  return last.window;
}

/**
 * One scope's counter keys (`b:{<userId>}:user:<metric>:<window>` or `…:token:<tokenId>:…`), one
 * per `LIMIT_FIELDS` entry, for the windows they were built in.
 */
interface ScopeKeys {
  owner: string;
  day: BudgetWindow;
  month: BudgetWindow;
  keys: string[];
}

/** Scopes a BudgetKeys keeps at most; past it the cache starts over (no per-request eviction work). */
const SCOPE_KEYS_LIMIT = 10_000;

/**
 * Counter keys kept between requests, owned by the caller (the data plane's budget guard) so that
 * planBudget stays a function of its input. Built once per scope and window rather than per
 * request: the ledgers look each key up in a Map (lease book, memory counters), and a string seen
 * before keeps its hash where a new one is hashed at every lookup (docs/benchmarks.md
 * "Bookkeeping per request").
 */
export class BudgetKeys {
  private readonly user = new Map<string, ScopeKeys>();
  private readonly token = new Map<string, ScopeKeys>();

  userKeys(userId: string, day: BudgetWindow, month: BudgetWindow): string[] {
    return cachedKeys(this.user, userId, userId, day, month, () => `b:{${userId}}:user`);
  }

  tokenKeys(userId: string, tokenId: string, day: BudgetWindow, month: BudgetWindow): string[] {
    return cachedKeys(this.token, tokenId, userId, day, month, () => `b:{${userId}}:token:${tokenId}`);
  }
}

function scopeKeys(base: string, day: BudgetWindow, month: BudgetWindow): string[] {
  return LIMIT_FIELDS.map(([, metric, period]) => `${base}:${metric}:${(period === 'day' ? day : month).id}`);
}

function cachedKeys(
  cache: Map<string, ScopeKeys>,
  id: string,
  owner: string,
  day: BudgetWindow,
  month: BudgetWindow,
  base: () => string,
): string[] {
  const cached = cache.get(id);
  if (cached !== undefined && cached.owner === owner && cached.day === day && cached.month === month)
    return cached.keys;
  const keys = scopeKeys(base(), day, month);
  if (cache.size >= SCOPE_KEYS_LIMIT) cache.clear();
  cache.set(id, { owner, day, month, keys });
  return keys;
}

/**
 * The counters one request is checked against. Keys share the hash tag `{<userId>}` so a Redis
 * Cluster keeps one user's counters in one slot (the reservation script touches several at once).
 */
export function planBudget(input: {
  userId: string;
  userLimits?: Limits;
  tokenId: string;
  tokenLimits?: Limits;
  now: number;
  estimate: BudgetAmounts;
  /** Keys kept between requests; without it every key is built anew (same keys either way). */
  keys?: BudgetKeys;
}): PlannedLine[] {
  const lines: PlannedLine[] = [];
  const day = budgetWindow('day', input.now);
  const month = budgetWindow('month', input.now);
  const { userId, tokenId } = input;
  for (let s = 0; s < 2; s++) {
    const scope = s === 0 ? 'user' : 'token';
    const limits = s === 0 ? input.userLimits : input.tokenLimits;
    if (limits === undefined) continue;
    const cache = input.keys;
    const keys =
      s === 0
        ? (cache?.userKeys(userId, day, month) ?? scopeKeys(`b:{${userId}}:user`, day, month))
        : (cache?.tokenKeys(userId, tokenId, day, month) ?? scopeKeys(`b:{${userId}}:token:${tokenId}`, day, month));
    for (let f = 0; f < LIMIT_FIELDS.length; f++) {
      const [field, metric, period] = LIMIT_FIELDS[f]!;
      const limit = limits[field];
      if (limit === undefined) continue;
      const window = period === 'day' ? day : month;
      const amount =
        metric === 'requests' ? 1 : metric === 'tokens' ? input.estimate.tokens : input.estimate.costMicros;
      lines.push({
        key: keys[f]!,
        limit,
        amount: Math.max(0, Math.ceil(amount)),
        resetAt: window.resetAt,
        scope,
        metric,
        period,
      });
    }
  }
  return lines;
}

/** Corrections once the request's real usage is known (an unpriced request adds no cost). */
export function settleBudget(
  lines: readonly PlannedLine[],
  actual: BudgetAmounts,
): Array<{ key: string; delta: number; resetAt: number }> {
  const out: Array<{ key: string; delta: number; resetAt: number }> = [];
  for (const line of lines) {
    if (line.metric === 'requests') continue;
    const real = Math.max(0, Math.ceil(line.metric === 'tokens' ? actual.tokens : actual.costMicros));
    const delta = real - line.amount;
    if (delta !== 0) out.push({ key: line.key, delta, resetAt: line.resetAt });
  }
  return out;
}

/** 429 for a request or token quota, 402 `budget_exceeded` for a spent cost budget, with the reset time. */
export function budgetRefusal(line: PlannedLine, used: number, now: number): GatewayError {
  const retryAfterS = Math.max(1, Math.ceil((line.resetAt - now) / 1000));
  const reset = new Date(line.resetAt).toISOString();
  const who = line.scope === 'user' ? 'user' : 'API token';
  const per = line.period === 'day' ? 'daily' : 'monthly';
  if (line.metric === 'cost') {
    const spent = used >= line.limit;
    const money = (micros: number): string => (micros / 1e6).toFixed(6);
    const message = spent
      ? `The ${per} cost budget of this ${who} (${money(line.limit)}) is spent; it resets at ${reset}.`
      : `This request's estimated cost (${money(line.amount)}) exceeds what is left of the ${per} cost budget of this ${who} (${money(line.limit - used)} of ${money(line.limit)}); it resets at ${reset}.`;
    return new GatewayError('BUDGET_EXCEEDED', message, { wireCode: 'budget_exceeded', retryAfterS });
  }
  const what = line.metric === 'requests' ? 'requests' : 'tokens';
  const message =
    used >= line.limit
      ? `The ${per} quota of ${line.limit} ${what} for this ${who} is used up; it resets at ${reset}.`
      : `This request needs about ${line.amount} ${what}, more than the ${line.limit - used} left of the ${per} quota of ${line.limit} for this ${who}; it resets at ${reset}.`;
  return new GatewayError('RATE_LIMITED', message, { wireCode: 'quota_exceeded', retryAfterS });
}
