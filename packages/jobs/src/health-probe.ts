import { backendDialectFor } from '@aisbf/dialects';
import type { StoredProvider } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { connectRefusal, fetchFor } from './fetch-for';
import { modelsRequest } from './models-request';
import type { ProbeOutcome } from './judge-health';

export interface ProbeDeps {
  secretBox: SecretBox;
  fetch?: typeof fetch | undefined;
  userFetch?: typeof fetch | undefined;
}

/**
 * One background probe: the provider's model list in its own dialect (free, models-request.ts), or with `paid` a one-token completion to
 * the provider's first model. Never keeps the response text: it may echo the key.
 */
export async function probeProvider(
  deps: ProbeDeps,
  provider: StoredProvider,
  paid: boolean,
  timeoutMs: number,
): Promise<{ outcome: ProbeOutcome; latencyMs: number; model: string | null }> {
  const listing = modelsRequest(provider, deps.secretBox);
  const headers = listing.headers;
  // The paid probe is a one-token OpenAI chat; other dialects are probed for free (their model list).
  const model = paid && backendDialectFor(provider.type) === null ? (provider.models[0]?.name ?? null) : null;
  const url = model !== null ? `${provider.endpoint}/chat/completions` : listing.url;
  const init: RequestInit =
    model !== null
      ? {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }),
        }
      : { method: 'GET', headers };
  const started = performance.now();
  const took = (): number => performance.now() - started;
  let response: Response;
  try {
    response = await fetchFor(deps, provider.ownerId)(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const outcome: ProbeOutcome = timedOut
      ? { kind: 'timeout' }
      : { kind: 'connect', error: `probe could not connect${connectRefusal(error)}` };
    return { outcome, latencyMs: took(), model };
  }
  // Headers came: the connection is fine, whatever happens to the body.
  const bodyRead = await response.arrayBuffer().then(
    () => true,
    () => false,
  );
  const outcome: ProbeOutcome =
    response.ok && bodyRead ? { kind: 'ok' } : { kind: 'http', status: response.ok ? 502 : response.status };
  return { outcome, latencyMs: took(), model };
}
