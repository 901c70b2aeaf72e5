/**
 * Behaviours the mock upstream can be told to show (docs/architecture.md "Retry discipline" and
 * "Mid-stream recovery"; docs/reliability.md lists the faults its scorecard injects). A fault with `model` applies
 * only to requests for that model; other requests skip it and use the default.
 */
export type MockFault = MockFaultKind & { model?: string };

export type MockFaultKind =
  /**
   * A normal answer. `chunkDelayMs` spaces stream chunks (e.g. to disconnect mid-stream); `words`
   * sets the answer's length (one word a stream chunk) instead of the mock's default.
   */
  | { kind: 'ok'; chunkDelayMs?: number; words?: number }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 429; sets `Retry-After` only when `retryAfterS` is given. */
  | { kind: 'rate-limit'; retryAfterS?: number }
  /** Reads the request, never sends headers, keeps the socket open. */
  | { kind: 'hang' }
  /** Reads the request, then resets the TCP connection before answering. */
  | { kind: 'reset' }
  /** Headers at once; the first chunk (non-stream: the body) after `delayMs`. */
  | { kind: 'slow-first-token'; delayMs: number }
  /** Stream: destroys the socket after `afterChunks` content chunks (non-stream: mid-body). */
  | { kind: 'cut'; afterChunks: number }
  /** Stream: stops after `afterChunks` content chunks and keeps the socket open. */
  | { kind: 'stall'; afterChunks: number }
  /** Stream: one `data: {not json` line after `atChunk` good content chunks; all words still sent. */
  | { kind: 'malformed-chunk'; atChunk: number }
  /** Stream: ends cleanly (finish chunk, usage) without `data: [DONE]`. */
  | { kind: 'no-done' }
  /** 400 `context_length_exceeded`. */
  | { kind: 'context-length' }
  /** 400 `content_policy_violation`. */
  | { kind: 'content-filter' }
  /** 400 when the last message is an assistant prefill; otherwise a normal answer. */
  | { kind: 'refuse-prefill' }
  /** Answers normally after `ms` (headers included). */
  | { kind: 'delay'; ms: number }
  /** A coding agent's backend: calls `tool` with `args`, then quotes the tool's result (mock-tool-agent.ts). */
  | { kind: 'tool-call'; tool: string; args: string };

export type MockFaultName = MockFaultKind['kind'];

export const MOCK_FAULT_KINDS: readonly MockFaultName[] = [
  'ok',
  'status',
  'rate-limit',
  'hang',
  'reset',
  'slow-first-token',
  'cut',
  'stall',
  'malformed-chunk',
  'no-done',
  'context-length',
  'content-filter',
  'refuse-prefill',
  'delay',
  'tool-call',
];

export interface RecordedRequest {
  /** 1-based; equals the `x-mock-request` header of the answer. */
  n: number;
  method: string;
  /** Path and query as received, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or null when empty or not JSON. */
  body: unknown;
  /** Epoch ms when the request head arrived. */
  at: number;
  /** True when the client went away before the answer was complete (the upstream was cancelled). */
  aborted: boolean;
  /** The fault that shaped the answer. */
  fault: MockFault;
  /** Content chunks (words) actually written before the answer ended or was cut. */
  chunksSent: number;
  /** Epoch ms when the answer ended (finished, cut or aborted); null while in flight. */
  endedAt: number | null;
}

/** Parses a fault from untrusted JSON (the control endpoints of the process mode). */
export function parseMockFault(value: unknown): MockFault | null {
  if (typeof value !== 'object' || value === null) return null;
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(MOCK_FAULT_KINDS as readonly string[]).includes(kind)) return null;
  return value as MockFault;
}
