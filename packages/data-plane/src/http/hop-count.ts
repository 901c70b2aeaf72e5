import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '@aisbf/core';

/**
 * How many aisbf gateways a request has already passed through (docs/architecture.md "Data plane
 * API"). Every request aisbf sends upstream carries the count it received plus one, never the
 * incoming value as is, so a provider that leads back to a gateway (itself, or another one that
 * leads back) is stopped after a few hops instead of multiplying requests.
 */
export const HOPS_HEADER = 'x-aisbf-hops';

/** Default of AISBF_MAX_HOPS: a request that already passed this many gateways is refused (508). */
export const DEFAULT_MAX_HOPS = 3;

/**
 * The incoming count; absent or unreadable is 0 (a client, not a gateway). Several values (a
 * provider's own headers may add another spelling; Node joins them with commas) count as the
 * highest, so an extra `x-aisbf-hops: 0` cannot reset it.
 */
export function incomingHops(headers: IncomingHttpHeaders): number {
  const raw = headers[HOPS_HEADER];
  const values = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',');
  let hops = 0;
  for (const value of values) {
    const text = value.trim();
    if (/^\d{1,6}$/.test(text)) hops = Math.max(hops, Number(text));
  }
  return hops;
}

/** RFC 5842 §7.2: 508 Loop Detected, in the caller's dialect through the usual error mapping. */
export function loopDetected(hops: number, maxHops: number): GatewayError {
  return new GatewayError(
    'LOOP_DETECTED',
    `This request already passed through ${hops} aisbf gateways (${HOPS_HEADER}; the limit is ${maxHops}): a provider leads back to a gateway, so it was not sent further.`,
    { wireCode: 'loop_detected' },
  );
}
