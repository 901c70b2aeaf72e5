import { randomUUID } from 'node:crypto';
import type { UsageAttempt, UsageEvent } from '@aisbf/core';
import type { ProxyEndpoint } from './proxy/proxy-call';
import { usageEventId } from './usage-event-id';

/** A usage event for requests that never reached a backend. */
export function usageRecord(r: {
  at: number;
  userId: string;
  tokenId: string;
  route: string;
  status: number;
  attempts: UsageAttempt[];
  autoselectReason: string | null;
  endpoint?: ProxyEndpoint;
}): UsageEvent {
  return {
    id: usageEventId(),
    requestId: randomUUID(),
    at: r.at,
    userId: r.userId,
    tokenId: r.tokenId,
    route: r.route.slice(0, 400),
    provider: r.attempts.at(-1)?.provider ?? null,
    providerOwnerId: null,
    model: r.attempts.at(-1)?.model ?? null,
    endpoint: r.endpoint ?? 'chat.completions',
    stream: false,
    status: r.status,
    outcome: r.status < 400 ? 'ok' : 'error',
    promptTokens: 0,
    completionTokens: 0,
    estimated: true,
    latencyMs: 0,
    ttfbMs: null,
    attempts: r.attempts,
    autoselectReason: r.autoselectReason,
  };
}
