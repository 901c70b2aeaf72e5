import { GatewayError, safeJsonParse, type PromptMessage, type Resolution, type UsageAttempt } from '@aisbf/core';
import type { ClientSignal } from '../http/client-signal';
import type { AttemptDeps } from './attempt-plan';
import { readUsage, type UsageCounts } from './chunk-facts';
import { runAttempts, type Served } from './run-attempts';

export type RouteText =
  | { ok: true; text: string; served: Served; usage: UsageCounts | null; attempts: UsageAttempt[] }
  | { ok: false; error: GatewayError; attempts: UsageAttempt[] };

/**
 * One non-stream chat completion that aisbf itself asks of a route (the autoselect's selection
 * model, the condensation summariser), through the same proxy loop as a client's request: the
 * route's entries, cooldowns, concurrency and timeouts apply. It is never condensed by a summary
 * (the plan carries no summariser: a summary cannot recurse into another one). Returns the
 * answer's text, or why there is none.
 */
export async function callRouteText(
  deps: AttemptDeps,
  call: {
    resolution: Resolution;
    route: string;
    messages: PromptMessage[];
    /** Extra body fields (`max_tokens`, `temperature`). */
    params: Record<string, unknown>;
    hops: number;
    signal: ClientSignal;
    callerIsAdmin: boolean;
  },
): Promise<RouteText> {
  const attempts: UsageAttempt[] = [];
  const result = await runAttempts(deps, {
    resolution: call.resolution,
    upstreamPath: '/chat/completions',
    body: { model: call.route, messages: call.messages, stream: false, ...call.params },
    stream: false,
    startedAt: deps.clock(),
    hops: call.hops,
    clientSignal: call.signal,
    selection: {
      state: deps.state,
      health: deps.health,
      now: deps.clock(),
      random: deps.random,
      excluded: new Set(),
      minContext: null,
      requirePrefill: false,
      usedEarliest: false,
      callerIsAdmin: call.callerIsAdmin,
    },
    attempts,
  });
  if (!result.ok) return { ok: false, error: result.error, attempts };
  result.served.release();
  const parsed = safeJsonParse(result.served.body?.toString('utf8') ?? '');
  const answer = parsed.ok
    ? (parsed.value as { choices?: Array<{ message?: { content?: unknown } }>; usage?: unknown })
    : undefined;
  const text = answer?.choices?.[0]?.message?.content;
  if (result.served.status !== 200 || typeof text !== 'string')
    return { ok: false, error: new GatewayError('UPSTREAM_ERROR', `${call.route} answered without text`), attempts };
  return { ok: true, text, served: result.served, usage: readUsage(answer?.usage), attempts };
}
