import { lookup } from 'node:dns/promises';
import { checkEndpointAddress, checkEndpointHost, type EndpointPolicy } from '@aisbf/core';
import { buildConnector } from 'undici';

/** Resolves a host name to its addresses (all of them, as the OS would offer them to a socket). */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export const ENDPOINT_FORBIDDEN = 'ERR_AISBF_ENDPOINT_FORBIDDEN';

/** The connect-time refusal; `code` lets the proxy loop tell it from a refused connection. */
export class EndpointForbiddenError extends Error {
  override readonly name = 'EndpointForbiddenError';
  readonly code = ENDPOINT_FORBIDDEN;
}

export const systemResolveHost: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface EndpointGuardOptions {
  policy: EndpointPolicy;
  /** Injected in tests (no real DNS); the system resolver otherwise. */
  resolveHost?: ResolveHost;
}

/**
 * An undici connector that resolves the host itself, checks every address against the endpoint
 * policy, and then connects to the checked address (docs/security.md, DNS rebinding): a name that passed
 * the write-time check and now resolves to 127.0.0.1 or 169.254.169.254 is refused before a socket
 * is opened, so no request byte is ever sent. The TLS server name stays the original host, so
 * certificates are still verified against it.
 */
export function createGuardedConnector(
  options: EndpointGuardOptions & { timeoutMs: number },
): buildConnector.connector {
  const base = buildConnector({ timeout: options.timeoutMs });
  const resolveHost = options.resolveHost ?? systemResolveHost;
  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
    const port = Number(connectOptions.port) || (connectOptions.protocol === 'https:' ? 443 : 80);
    const target = { host, port };
    const refuse = (message: string): void =>
      callback(new EndpointForbiddenError(`refused by the endpoint policy: ${message}`), null);
    const first = checkEndpointHost(options.policy, target);
    if (!first.ok) return refuse(first.error.message);
    if (!first.value.resolve) return void base(connectOptions, callback);
    resolveHost(host).then(
      (addresses) => {
        if (addresses.length === 0) return refuse(`${host} resolved to no address`);
        for (const address of addresses) {
          const verdict = checkEndpointAddress(options.policy, target, address);
          if (!verdict.ok) return refuse(verdict.error.message);
        }
        // Pin the checked address: a second lookup by the socket could be answered differently.
        base({ ...connectOptions, hostname: addresses[0]!, servername: connectOptions.servername ?? host }, callback);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}
