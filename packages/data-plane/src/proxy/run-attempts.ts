import {
  GatewayError,
  defaultLimitsOf,
  resolveLimits,
  UpstreamError,
  retryVerdict,
  type IndexedAutoselect,
  type Resolution,
  type UsageAttempt,
  type UsageEvent,
} from '@aisbf/core';
import type { ClientSignal } from '../http/client-signal';
import { attemptOnce, type Answer, type OnceResult, type Passthrough } from './attempt-once';
import type { AttemptDeps, AttemptPlan, AutoselectExpansion } from './attempt-plan';
import { missingKeySkip } from './missing-key-skip';
import { selectLeaf, type Leaf } from './select-leaf';
import { spacedError, spacingSkip } from '../context/spacing-skip';
import { windowVerdict, type Condensed } from '../context/window-verdict';
import { withDefaults } from '../context/with-defaults';

/** The first attempt that produced something to send to the client. */
export interface Served extends Answer {
  leaf: Leaf;
  /** Milliseconds spent waiting on upstreams and backoffs (excluded from the overhead figure). */
  waitedMs: number;
  attemptStartedAt: number;
  release: () => void;
  /** Served through an autoselect entry of a rotation: its decision (headers and usage). */
  autoselect?: { route: string; reason: string; findings: readonly string[] };
  /** `<method>; <before>-><after>` when this entry got a condensed prompt (docs/context.md). */
  condensed?: string;
}

/** The usage record's fields naming what actually served (after a failover, the fallback). */
export function servedFields(served: Served): Pick<UsageEvent, 'provider' | 'providerOwnerId' | 'model'> {
  return {
    provider: served.leaf.target.provider.id,
    providerOwnerId: served.leaf.target.provider.ownerId,
    model: served.leaf.target.model,
  };
}

export type AttemptsResult =
  | { ok: true; served: Served }
  | {
      ok: false;
      error: GatewayError;
      passthrough: Passthrough | null;
      waitedMs: number;
      clientGone: boolean;
      lastKey: string | null;
      /** Nothing else may be tried for this request (a private request an autoselect entry could not place). */
      final?: true;
    };

/** How long a request may wait for a free slot on this route (docs/architecture.md "Rotations", `timeout_queue_s`). */
function queueMs(resolution: Resolution): number {
  return resolution.kind === 'autoselect' ? 0 : resolution.timeouts.queueMs;
}

export function totalBudgetMs(resolution: Resolution): number {
  return resolution.kind === 'autoselect' ? 120_000 : resolution.timeouts.totalMs;
}

/**
 * The proxy loop (docs/reliability.md): pick a leaf, try it, ask the pure retry table what to do, do it.
 * Returns when an attempt produced the first content, or with the error the client gets.
 */
export async function runAttempts(deps: AttemptDeps, plan: AttemptPlan): Promise<AttemptsResult> {
  const { state, clock } = deps;
  const deadline = plan.startedAt + totalBudgetMs(plan.resolution);
  let leaf: Leaf | null = null;
  let sameRetries = 0;
  let waitedMs = 0;
  let last: { error: GatewayError; passthrough: Passthrough | null } | null = null;
  let lastKey: string | null = null;
  /** Condensed bodies already written for this request, by entry key (made when first needed). */
  let condensedFor: Map<string, Condensed> | null = null;
  /** Until when this request may wait for a slot when every entry is saturated (set on first need). */
  let queueUntil: number | null = null;
  /** The soonest rate_limit slot among the entries skipped as spaced (their 429's Retry-After). */
  let soonestSlotMs = Infinity;

  for (;;) {
    if (plan.clientSignal.aborted) return clientGone(waitedMs, leaf);
    if (leaf === null) {
      plan.selection.now = clock();
      const selection = selectLeaf(plan.resolution, plan.selection);
      if (!selection.ok && selection.reason === 'all-saturated') {
        // Every entry is at its max_concurrency: wait for a slot (timeout_queue_s, within the budget).
        queueUntil ??= Math.min(deadline, plan.selection.now + queueMs(plan.resolution));
        const left = queueUntil - plan.selection.now;
        if (left > 0) {
          const started = performance.now();
          await state.waitForSlot(left, plan.clientSignal);
          waitedMs += performance.now() - started;
          continue;
        }
      }
      if (!selection.ok)
        return { ok: false, ...exhausted(plan, selection, last), waitedMs, clientGone: false, lastKey };
      if (selection.leaf === null) {
        const via = await serveAutoselectEntry(deps, plan, selection.autoselect, selection.key);
        if (via.ok) {
          via.served.waitedMs += waitedMs;
          return via;
        }
        waitedMs += via.waitedMs;
        if (via.clientGone || via.passthrough !== null || via.final === true) return { ...via, waitedMs };
        // Its routes failed (or it chose none): the rotation goes on with its other entries.
        last = { error: via.error, passthrough: null };
        plan.selection.excluded.add(selection.key);
        continue;
      }
      // An autoselect above this route fills what the rotation and provider levels left unset.
      leaf = plan.autoselectLimits === undefined ? selection.leaf : withDefaults(selection.leaf, plan.autoselectLimits);
      sameRetries = 0;
      if (leaf.probe) {
        const key = leaf.target.key;
        state.apply(key, { type: 'probe-start' }, clock());
        // One probe per cooldown for the whole cluster (docs/reliability.md "Health"): another node
        // holds it, so this request leaves the entry to it and moves on.
        const claim = await state.claimProbe(key, leaf.errorCooldownMs);
        if (!claim.claimed) {
          state.deferProbe(key, claim.heldForMs, clock());
          plan.selection.excluded.add(key);
          lastKey = key;
          leaf = null;
          continue;
        }
      }
    }
    const current: Leaf = leaf;
    const key = current.target.key;
    const keyless = missingKeySkip(current);
    const fit = keyless === null ? windowVerdict(plan, current) : null;
    const tooLong = fit !== null && 'skip' in fit ? fit.skip.slice(0, 300) : null;
    // A same-entry retry is the same request's: it does not claim another rate_limit slot. Awaited
    // only when the entry has a rate_limit (no microtask per attempt otherwise).
    const claiming =
      keyless === null && tooLong === null && sameRetries === 0 ? spacingSkip(deps.spacer, current, deps.logger) : null;
    const spaced = claiming === null ? null : await claiming;
    if (spaced !== null) soonestSlotMs = Math.min(soonestSlotMs, spaced.waitMs);
    const skip =
      keyless ??
      (tooLong !== null
        ? {
            reason: tooLong,
            error: new GatewayError('BAD_REQUEST', `The request is too long for every entry tried: ${tooLong}.`, {
              wireCode: 'context_length_exceeded',
            }),
          }
        : spaced === null
          ? null
          : { reason: spaced.reason, error: spacedError(soonestSlotMs, routeLabel(plan)) });
    if (skip !== null) {
      // Skipped before any byte is sent (docs/context.md): no 400 round trip, no cooldown.
      if (current.probe) state.apply(key, { type: 'probe-cancel' }, clock());
      plan.attempts.push({
        provider: current.target.provider.id,
        model: current.target.model,
        status: null,
        outcome: 'skipped',
        reason: skip.reason,
        latencyMs: 0,
      });
      last = { error: skip.error, passthrough: null };
      plan.selection.excluded.add(key);
      lastKey = key;
      leaf = null;
      continue;
    }
    // A condensed body is this entry's alone (docs/context.md): the next entry gets the client's
    // again. Written once per entry and request: a same-entry retry does not ask for another summary.
    let condensed: Condensed | undefined;
    if (fit !== null && 'condense' in fit) {
      condensedFor ??= new Map();
      condensed = condensedFor.get(key);
      if (condensed === undefined) {
        condensed = await fit.condense(deadline - clock());
        condensedFor.set(key, condensed);
        waitedMs += condensed.waitedMs;
        // Others may have filled the entry while its summary was written: back to selection.
        if (saturated(current, state)) {
          if (current.probe) state.apply(key, { type: 'probe-cancel' }, clock());
          leaf = null;
          continue;
        }
      }
    }
    state.acquire(key);
    state.acquire(current.target.providerKey);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      state.release(key);
      state.release(current.target.providerKey);
    };
    const attemptStartedAt = clock();
    // Wall time waiting on the upstream, measured finely: x-aisbf-overhead-ms is total minus this.
    const waitStarted = performance.now();
    // A condensed prompt is the canonical body: a backend of the client's own dialect gets its
    // translation for this attempt, since passing the client's body through would send it whole.
    let sent = plan;
    if (condensed !== undefined) {
      sent = { ...plan, body: condensed.body };
      delete sent.client;
    }
    const result = await attemptOnce(deps, sent, current, deadline);
    waitedMs += performance.now() - waitStarted;
    const now = clock();
    if (result.ok) {
      state.apply(key, { type: 'success', startedAt: attemptStartedAt }, now);
      const attempt: UsageAttempt = {
        provider: current.target.provider.id,
        model: current.target.model,
        status: result.served.status,
        outcome: 'ok',
        latencyMs: now - attemptStartedAt,
      };
      // Condensed by sliding_window after a summary method failed: why, for the request view.
      if (condensed?.note !== undefined) attempt.reason = condensed.note.slice(0, 300);
      plan.attempts.push(attempt);
      deps.onAttemptEnded?.(attempt);
      return { ok: true, served: servedBy(result.served, current, waitedMs, attemptStartedAt, release, condensed) };
    }
    release();
    plan.attempts.push({
      provider: current.target.provider.id,
      model: current.target.model,
      status: result.status,
      outcome: result.attempt,
      latencyMs: now - attemptStartedAt,
      ...(result.detail === undefined ? {} : { detail: result.detail }),
    });
    deps.onAttemptEnded?.(plan.attempts[plan.attempts.length - 1]!);
    if (plan.clientSignal.aborted) {
      if (current.probe) state.apply(key, { type: 'probe-cancel' }, now);
      return clientGone(waitedMs, leaf);
    }
    const target = `${current.target.provider.id}/${current.target.model}`;
    if (result.forbidden === true) {
      // The endpoint policy refused the address (docs/security.md): no request was sent and no retry can
      // change that, so no cooldown and no same-entry retry; another entry may still serve.
      if (current.probe) state.apply(key, { type: 'probe-cancel' }, now);
      deps.logger.warn(
        { provider: current.target.provider.id, owner: current.target.provider.ownerId },
        result.message,
      );
      last = {
        error: new UpstreamError('UPSTREAM_ERROR', `Upstream ${target} was not contacted: ${result.message}.`, {
          target,
          retryable: false,
          phase: 'connect',
          wireCode: 'endpoint_forbidden',
        }),
        passthrough: null,
      };
      plan.selection.excluded.add(key);
      lastKey = key;
      leaf = null;
      continue;
    }
    if (result.budget || result.outcome === null) {
      if (current.probe) state.apply(key, { type: 'probe-cancel' }, now);
      const error = new UpstreamError(
        'UPSTREAM_TIMEOUT',
        `The request's total budget of ${Math.round(totalBudgetMs(plan.resolution) / 1000)} s ran out (last: ${target}, ${result.message}).`,
        { target, retryable: false, phase: 'headers', wireCode: 'upstream_timeout' },
      );
      return { ok: false, error, passthrough: null, waitedMs, clientGone: false, lastKey: leaf?.target.key ?? lastKey };
    }
    const table = retryVerdict({
      outcome: result.outcome,
      sameEntryRetries: sameRetries,
      timeouts: current.timeouts,
      errorCooldownMs: current.errorCooldownMs,
      remainingMs: deadline - now,
      jitter: deps.random(),
    });
    // A probe's one request is its verdict: a failed probe re-opens the cooldown and moves on
    // (one upstream request per cooldown while a backend is down, never a retry burst). Nor is an
    // entry retried that another request cooled down meanwhile: it is skipped like any open one.
    const verdict =
      table.action !== 'retry-same'
        ? table
        : current.probe
          ? { ...table, action: 'next-entry' as const, cooldown: { kind: 'failure' as const } }
          : state.availability(key, now).state === 'open'
            ? { ...table, action: 'next-entry' as const }
            : table;
    if (verdict.cooldown.kind === 'failure')
      state.apply(
        key,
        { type: 'failure', allowedFails: current.allowedFails, cooldownMs: current.errorCooldownMs },
        now,
      );
    else if (verdict.cooldown.kind === 'open')
      state.apply(key, { type: 'open', cooldownMs: verdict.cooldown.cooldownMs }, now);
    else if (current.probe && verdict.action !== 'retry-same') state.apply(key, { type: 'probe-cancel' }, now);
    // The request view shows which attempt opened (or re-opened) the entry's cooldown, and until when.
    const cooled = verdict.cooldown.kind === 'none' ? null : state.availability(key, now);
    if (cooled?.state === 'open') plan.attempts[plan.attempts.length - 1]!.cooldownUntil = cooled.until;
    if (verdict.flagUnhealthy) {
      deps.logger.warn(
        { provider: current.target.provider.id, model: current.target.model, status: result.status },
        'upstream refused its own key or model; check the provider',
      );
      deps.onProviderFlagged?.({
        ownerId: current.target.provider.ownerId,
        providerId: current.target.provider.id,
        model: current.target.model,
        status: result.status ?? 0,
      });
    }
    // A backend's 429 that no other entry can absorb reaches the client as a 429 with the time the
    // entry stays cooled (docs/architecture.md "Data plane API"), not as a generic 502.
    const rateLimited =
      result.status === 429
        ? new GatewayError(
            'RATE_LIMITED',
            `Upstream ${target} is rate limited; retry in ${Math.max(1, Math.ceil((verdict.cooldown.kind === 'open' ? verdict.cooldown.cooldownMs : current.errorCooldownMs) / 1000))} s.`,
            {
              retryAfterS: Math.max(
                1,
                Math.ceil(
                  (verdict.cooldown.kind === 'open' ? verdict.cooldown.cooldownMs : current.errorCooldownMs) / 1000,
                ),
              ),
              wireCode: 'rate_limit_exceeded',
            },
          )
        : null;
    last = {
      error: rateLimited ?? upstreamError(result, target),
      passthrough: verdict.row === 'context-length' || verdict.row === 'client-error' ? result.passthrough : null,
    };
    switch (verdict.action) {
      case 'retry-same': {
        sameRetries++;
        const slept = await sleep(verdict.afterMs, plan.clientSignal);
        waitedMs += slept;
        continue;
      }
      case 'next-entry':
        plan.selection.excluded.add(key);
        lastKey = key;
        if (verdict.largerContext === true)
          plan.selection.minContext = Math.max(plan.selection.minContext ?? 0, current.contextWindow ?? 0);
        leaf = null;
        continue;
      case 'return-to-client':
        return {
          ok: false,
          error: last.error,
          passthrough: last.passthrough,
          waitedMs,
          clientGone: false,
          lastKey: leaf?.target.key ?? lastKey,
        };
    }
  }
}

/**
 * Tries routes in order until one serves or an outcome ends the request (client gone, an upstream
 * 4xx returned as is, a private request with nowhere left): a top-level autoselect's decision and
 * its fallbacks, or the routes of an autoselect entry. `plan.resolution` ends as the last route
 * tried; waits on every route count as upstream time (x-aisbf-overhead-ms leaves them out).
 */
export async function runRoutes(
  deps: AttemptDeps,
  plan: AttemptPlan,
  routes: readonly [Resolution, ...Resolution[]],
): Promise<AttemptsResult> {
  let waitedMs = 0;
  let result: AttemptsResult | null = null;
  for (const resolution of routes) {
    plan.resolution = resolution;
    plan.selection.usedEarliest = false;
    result = await runAttempts(deps, plan);
    if (result.ok) {
      result.served.waitedMs += waitedMs;
      return result;
    }
    waitedMs += result.waitedMs;
    if (result.clientGone || result.passthrough !== null || result.final === true) break;
  }
  return { ...(result as Extract<AttemptsResult, { ok: false }>), waitedMs };
}

/**
 * An autoselect met as a rotation entry: its decision for this request (privacy first, then the
 * selection model; create-data-plane's `expand`), then its routes (runRoutes). The autoselect is
 * marked as being served while they run, so a candidate rotation that leads back to it skips it
 * (a loop ends, never hangs).
 */
async function serveAutoselectEntry(
  deps: AttemptDeps,
  plan: AttemptPlan,
  autoselect: IndexedAutoselect,
  key: string,
): Promise<AttemptsResult> {
  const startedWait = performance.now();
  const expansion: AutoselectExpansion =
    plan.expand === undefined
      ? {
          ok: false,
          error: new GatewayError('NO_HEALTHY_TARGET', `Autoselect "${autoselect.route}" cannot serve here.`, {
            wireCode: 'no_healthy_target',
          }),
          findings: [],
          private: false,
        }
      : await plan.expand(autoselect);
  // The decision's own selection call is upstream time, not aisbf's overhead.
  const decidedIn = performance.now() - startedWait;
  // A private request the autoselect could not place goes nowhere else: the rotation's other
  // entries were never vetted for it (fail closed, like a top-level autoselect).
  const final = expansion.private ? { final: true as const } : {};
  if (!expansion.ok)
    return {
      ok: false,
      error: expansion.error,
      passthrough: null,
      waitedMs: decidedIn,
      clientGone: plan.clientSignal.aborted,
      lastKey: null,
      ...final,
    };
  const expanding = (plan.selection.expanding ??= new Set());
  expanding.add(key);
  let result: AttemptsResult;
  try {
    // Its own plan (the outer one keeps its rotation); selection state and attempts are shared. A
    // request the autoselect judged private is summarised only by a private route (docs/context.md).
    const summariser =
      expansion.private && plan.summariser !== undefined
        ? { ...plan.summariser, judgedPrivate: true }
        : plan.summariser;
    result = await runRoutes(
      deps,
      {
        ...plan,
        autoselectLimits: resolveLimits(defaultLimitsOf(autoselect.autoselect.config), plan.autoselectLimits),
        ...(summariser === undefined ? {} : { summariser }),
      },
      expansion.routes,
    );
  } finally {
    expanding.delete(key);
  }
  if (!result.ok) return { ...result, waitedMs: result.waitedMs + decidedIn, ...final };
  result.served.waitedMs += decidedIn;
  result.served.autoselect = { route: autoselect.route, reason: expansion.reason, findings: expansion.findings };
  return result;
}

/**
 * What served, as one object literal with every field (optional ones undefined) instead of a
 * spread of the answer with a conditional part: the spread gave an object whose own building and
 * every later read of its fields were among the request path's costliest lines in a CPU profile of
 * `aisbf start` under load (docs/benchmarks.md "`aisbf start`: the request path"). Every field of
 * `Served` is named (the `satisfies` holds it), so none added later is silently dropped.
 */
function servedBy(
  answer: Answer,
  leaf: Leaf,
  waitedMs: number,
  attemptStartedAt: number,
  release: () => void,
  condensed: Condensed | undefined,
): Served {
  return {
    status: answer.status,
    headers: answer.headers,
    call: answer.call,
    body: answer.body,
    pending: answer.pending,
    malformed: answer.malformed,
    usage: answer.usage,
    passthrough: answer.passthrough,
    leaf,
    waitedMs,
    attemptStartedAt,
    release,
    autoselect: undefined,
    condensed: condensed?.summary,
  } satisfies { [K in keyof Required<Served>]: unknown };
}

/** The entry (or its provider) has no free slot under its max_concurrency. */
function saturated(leaf: Leaf, state: AttemptDeps['state']): boolean {
  const { key, providerKey, provider } = leaf.target;
  return (
    (leaf.maxConcurrency !== undefined && state.inflight(key) >= leaf.maxConcurrency) ||
    (provider.maxConcurrency !== undefined && state.inflight(providerKey) >= provider.maxConcurrency)
  );
}

function exhausted(
  plan: AttemptPlan,
  selection: { reason: 'all-cooling' | 'all-saturated' | 'none-usable'; retryAt: number | null },
  last: { error: GatewayError; passthrough: Passthrough | null } | null,
): { error: GatewayError; passthrough: Passthrough | null } {
  const name = routeLabel(plan);
  // docs/architecture.md "Retry discipline": context_length_exceeded with no larger window left goes back as that 400.
  if (last?.passthrough != null) return last;
  if (selection.reason === 'all-cooling') {
    const retryAfterS =
      selection.retryAt === null ? 60 : Math.max(1, Math.ceil((selection.retryAt - plan.selection.now) / 1000));
    const detail = last === null ? '' : ` (last error: ${last.error.message})`;
    return {
      error: new GatewayError(
        'NO_HEALTHY_TARGET',
        `Every entry of ${name} is cooling down after failures; retry in ${retryAfterS} s${detail}.`,
        { retryAfterS, wireCode: 'no_healthy_target' },
      ),
      passthrough: null,
    };
  }
  if (selection.reason === 'all-saturated') {
    return {
      error: new GatewayError(
        'NO_HEALTHY_TARGET',
        `Every entry of ${name} is at its max_concurrency and no slot freed within ${Math.round(queueMs(plan.resolution) / 1000)} s (timeout_queue_s); retry shortly.`,
        { retryAfterS: 1, wireCode: 'saturated' },
      ),
      passthrough: null,
    };
  }
  if (last !== null) return last;
  return {
    error: new GatewayError('NO_HEALTHY_TARGET', `No usable entry in ${name} (disabled or misconfigured providers).`, {
      wireCode: 'no_healthy_target',
    }),
    passthrough: null,
  };
}

/** The route as errors name it: `provider p/m` or `route user-rotation/r`. */
const routeLabel = (plan: AttemptPlan): string =>
  plan.resolution.kind === 'provider'
    ? `provider ${plan.resolution.target.provider.id}/${plan.resolution.target.model}`
    : `route ${plan.resolution.route}`;

function upstreamError(result: Extract<OnceResult, { ok: false }>, target: string): GatewayError {
  const timeout = result.attempt === 'timeout';
  return new UpstreamError(
    timeout ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_ERROR',
    `Upstream ${target} failed: ${result.message}.`,
    {
      target,
      retryable: true,
      phase: 'headers',
      wireCode: timeout ? 'upstream_timeout' : 'upstream_error',
      ...(result.status === null ? {} : { upstreamStatus: result.status }),
    },
  );
}

/** The client left: nothing more is tried (no closure per request for it). */
const clientGone = (waitedMs: number, leaf: Leaf | null): AttemptsResult => ({
  ok: false,
  error: new GatewayError('BAD_REQUEST', 'The client closed the connection.', { wireCode: 'client_closed_request' }),
  passthrough: null,
  waitedMs,
  clientGone: true,
  lastKey: leaf?.target.key ?? null,
});

/** Waits, but wakes early when the client leaves. Returns the milliseconds actually waited. */
function sleep(ms: number, signal: ClientSignal): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(0);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    };
    const timer = setTimeout(() => {
      unlisten();
      resolve(performance.now() - started);
    }, ms);
    const unlisten = signal.onAbort(onAbort);
  });
}
