/** Who served an answer (the usage event's fields; null only when nothing served). */
export interface ServedIdentity {
  provider: string | null;
  providerOwnerId: string | null;
  model: string | null;
}

/**
 * The proxy's hooks for the response cache (docs/cache.md): it reports what it relayed, and only a
 * complete answer from the entry that started it is ever stored (docs/cache.md).
 */
export interface CacheTap {
  /** Non-stream: the whole body of a 200 answer, after it was sent. */
  whole(body: Buffer, served: ServedIdentity): void;
  /** Stream: every JSON chunk relayed (include_usage trailers too, even when not forwarded). */
  chunk(json: Record<string, unknown>): void;
  /** Stream: it ended with `[DONE]` (or cleanly) on the entry that started it, never continued. */
  streamEnded(served: ServedIdentity): void;
}
