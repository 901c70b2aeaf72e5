/**
 * The fetch a job uses for a provider: user-owned providers' endpoints go through `userFetch`
 * (the endpoint policy checked at connect time, docs/security.md), global ones through `fetch`.
 */
export function fetchFor(
  deps: { fetch?: typeof fetch | undefined; userFetch?: typeof fetch | undefined },
  ownerId: string | null,
): typeof fetch {
  return (ownerId !== null ? deps.userFetch : undefined) ?? deps.fetch ?? fetch;
}

/** ` (<why>)` when a connection was refused before any byte was sent (the endpoint policy), else ''. */
export function connectRefusal(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return code === 'ERR_AISBF_ENDPOINT_FORBIDDEN' && cause instanceof Error ? ` (${cause.message})` : '';
}
