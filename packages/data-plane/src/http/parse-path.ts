import type { ProxyEndpoint } from '../proxy/proxy-call';

/** A client dialect other than OpenAI Chat: its requests are converted and routed as chat ones. */
export type ClientDialectName = 'responses' | 'anthropic';

export type Operation =
  | { kind: 'proxy'; endpoint: ProxyEndpoint; client?: ClientDialectName }
  | { kind: 'models'; id: string | null }
  /** Anthropic's `POST messages/count_tokens`: answered by aisbf itself (docs/clients.md). */
  | { kind: 'count_tokens' }
  | { kind: 'unknown'; rest: string };

export interface ParsedPath {
  username: string | null;
  op: Operation;
}

/**
 * `/v1/x`, `/api/v1/x`, `/api/u/{username}/x` and `/api/u/{username}/v1/x` → username and
 * operation; null when not ours.
 */
export function parsePath(path: string): ParsedPath | null {
  let username: string | null = null;
  let rest: string;
  if (path.startsWith('/v1/')) rest = path.slice(4);
  else if (path.startsWith('/api/v1/')) rest = path.slice(8);
  else if (path.startsWith('/api/u/')) {
    const slash = path.indexOf('/', 7);
    if (slash < 0) return null;
    username = decodeSegment(path.slice(7, slash));
    if (username === null || username === '') return null;
    rest = path.slice(slash + 1);
    // Clients that append `/v1` to any base URL (Codex, the Anthropic SDK) get the same API there.
    if (rest.startsWith('v1/')) rest = rest.slice(3);
  } else return null;
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  switch (rest) {
    case 'chat/completions':
      return { username, op: { kind: 'proxy', endpoint: 'chat.completions' } };
    case 'completions':
      return { username, op: { kind: 'proxy', endpoint: 'completions' } };
    case 'embeddings':
      return { username, op: { kind: 'proxy', endpoint: 'embeddings' } };
    case 'models':
      return { username, op: { kind: 'models', id: null } };
    case 'messages':
      return { username, op: { kind: 'proxy', endpoint: 'chat.completions', client: 'anthropic' } };
    case 'messages/count_tokens':
      return { username, op: { kind: 'count_tokens' } };
    case 'responses':
      return { username, op: { kind: 'proxy', endpoint: 'chat.completions', client: 'responses' } };
  }
  if (rest.startsWith('models/')) {
    const id = decodeSegment(rest.slice(7));
    if (id !== null && id !== '') return { username, op: { kind: 'models', id } };
  }
  return { username, op: { kind: 'unknown', rest } };
}

/**
 * The client dialect a request's errors are written in, before (or without) its operation:
 * Anthropic's for its endpoints and for any request carrying `anthropic-version` (the Anthropic
 * SDK and Claude Code send it on every call) to an endpoint of no dialect of its own (an unknown
 * one, `models`), so an Anthropic client reads every refusal.
 */
export function errorDialectOf(
  op: Operation,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): ClientDialectName | null {
  if (op.kind === 'count_tokens') return 'anthropic';
  // A proxied endpoint has one dialect whatever the headers (its later errors are in it too).
  if (op.kind === 'proxy') return op.client ?? null;
  if (op.kind === 'unknown' && (op.rest === 'messages' || op.rest.startsWith('messages/'))) return 'anthropic';
  return headers['anthropic-version'] === undefined ? null : 'anthropic';
}

function decodeSegment(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
