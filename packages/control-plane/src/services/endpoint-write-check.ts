import { lookup } from 'node:dns/promises';
import { checkEndpointAddress, checkEndpointHost, endpointTarget, type EndpointPolicy } from '@aisbf/core';
import { ValidationError } from './validation-error';

export type ResolveHost = (hostname: string) => Promise<string[]>;

export interface EndpointWriteCheck {
  policy: EndpointPolicy;
  /** Injected in tests (no real DNS); the system resolver otherwise. */
  resolveHost?: ResolveHost;
  /** A slow resolver must not hold the write transaction; default 2 s. */
  resolveTimeoutMs?: number;
}

const systemResolveHost: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]).finally(
    () => clearTimeout(timer),
  );
}

/**
 * Write-time half of the endpoint policy (docs/endpoint-policy.md): a user-owned provider
 * whose endpoint is, or resolves to, a forbidden address is refused with a BAD_REQUEST on
 * `path`. A name that does not resolve (yet, or not from this host) is accepted: the data plane
 * checks every connection after its own DNS lookup, which is what stops rebinding anyway.
 */
export async function assertEndpointAllowed(check: EndpointWriteCheck, endpoint: string, path: string): Promise<void> {
  const target = endpointTarget(endpoint);
  if (!target.ok) throw new ValidationError([{ path, message: target.error.message }]);
  const host = checkEndpointHost(check.policy, target.value);
  if (!host.ok) throw new ValidationError([{ path, message: host.error.message }]);
  if (!host.value.resolve) return;
  const resolve = check.resolveHost ?? systemResolveHost;
  const addresses = await withTimeout(
    resolve(target.value.host).catch(() => [] as string[]),
    check.resolveTimeoutMs ?? 2000,
  );
  for (const address of addresses ?? []) {
    const verdict = checkEndpointAddress(check.policy, target.value, address);
    if (!verdict.ok) throw new ValidationError([{ path, message: verdict.error.message }]);
  }
}
