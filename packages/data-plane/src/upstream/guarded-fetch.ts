import { Agent, fetch as undiciFetch } from 'undici';
import { createGuardedConnector, type EndpointGuardOptions } from './endpoint-guard';

/**
 * A `fetch` whose connections pass the endpoint policy after DNS, like the proxy's (docs/security.md): for
 * the jobs that call user-owned providers outside a request (model discovery, health probes), so a
 * name that passed the write-time check and now resolves to a metadata or loopback address is
 * refused before a socket opens. The CLI hands it to the jobs; they never import the data plane.
 */
export function createGuardedFetch(options: EndpointGuardOptions & { connectTimeoutMs?: number }): typeof fetch {
  const agent = new Agent({
    connect: createGuardedConnector({ ...options, timeoutMs: options.connectTimeoutMs ?? 10_000 }),
  });
  // undici's fetch is the global fetch's implementation; its types are its own copy of the same ones.
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch;
}
