import type { Result } from '../result';
import { classifyIp, type AddressClass } from './classify-address';
import type { EndpointPolicy } from './endpoint-policy.schema';
import { embeddedIpv4, formatIp, inPrefix, parseIp, type IpAddress } from './ip-address';

export interface EndpointTarget {
  /** Host as in the URL (a name or an IP literal; brackets allowed). */
  host: string;
  port: number;
}

/** Why an endpoint is refused; `message` names the host and the rule, never a key. */
export interface EndpointRefusal {
  reason: 'forbidden-host' | 'forbidden-address' | 'gateway-port' | 'bad-url';
  message: string;
}

export type EndpointCheck = Result<{ resolve: boolean }, EndpointRefusal>;

const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(['metadata', 'link-local', 'unspecified', 'reserved']);
const CLASS_TO_ALLOW: Record<AddressClass, 'loopback' | 'lan' | 'public' | null> = {
  loopback: 'loopback',
  private: 'lan',
  public: 'public',
  metadata: null,
  'link-local': null,
  unspecified: null,
  reserved: null,
};
/** Names every resolver maps to loopback (RFC 6761) or to a metadata service. */
const LOOPBACK_NAME = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/;
const METADATA_NAME = /^(metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)$/;

const normalizeHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');

function matchesPattern(pattern: string, host: string, ip: IpAddress | null): boolean {
  const p = pattern.toLowerCase().trim();
  const slash = p.indexOf('/');
  if (slash >= 0 || parseIp(p) !== null) {
    if (ip === null) return false;
    const network = parseIp(slash >= 0 ? p.slice(0, slash) : p);
    if (network === null) return false;
    const bits = slash >= 0 ? Number(p.slice(slash + 1)) : network.family === 4 ? 32 : 128;
    const candidates = [ip, embeddedIpv4(ip)].filter((x): x is IpAddress => x !== null);
    return candidates.some((c) => inPrefix(c, network, bits));
  }
  if (p.startsWith('*.')) return host.endsWith(p.slice(1));
  return host === p;
}

/** One of this host's interface addresses (docs/endpoint-policy.md), in any spelling that reaches it. */
function isOwnAddress(policy: EndpointPolicy, ip: IpAddress): boolean {
  const own = policy.ownAddresses;
  if (own === undefined || own.length === 0) return false;
  const candidates = [ip, embeddedIpv4(ip)].filter((x): x is IpAddress => x !== null);
  return own.some((text) => {
    const address = parseIp(text);
    return (
      address !== null &&
      candidates.some((c) => c.family === address.family && inPrefix(c, address, address.family === 4 ? 32 : 128))
    );
  });
}

const refuse = (reason: EndpointRefusal['reason'], message: string): EndpointCheck => ({
  ok: false,
  error: { reason, message },
});

/** Decision for one address the endpoint resolved to (or its literal IP). */
export function checkEndpointAddress(policy: EndpointPolicy, target: EndpointTarget, address: string): EndpointCheck {
  const host = normalizeHost(target.host);
  const ip = parseIp(address);
  if (ip === null) return refuse('forbidden-address', `"${address}" is not an IP address`);
  const cls = classifyIp(ip);
  const shown = host === normalizeHost(address) ? formatIp(ip) : `${host} (${formatIp(ip)})`;
  if (policy.denyHosts.some((p) => matchesPattern(p, host, ip)))
    return refuse('forbidden-host', `endpoint ${shown} is denied by the endpoint policy`);
  if ((cls === 'loopback' || isOwnAddress(policy, ip)) && policy.gatewayPorts.includes(target.port))
    return refuse('gateway-port', `endpoint ${shown}:${target.port} is the gateway itself`);
  if (ALWAYS_REFUSED.has(cls))
    return refuse('forbidden-address', `endpoint ${shown} is a ${cls} address; user-owned providers may not target it`);
  if (policy.allowHosts.some((p) => matchesPattern(p, host, ip))) return { ok: true, value: { resolve: false } };
  const allowClass = CLASS_TO_ALLOW[cls];
  if (allowClass === null || !policy.allow.includes(allowClass))
    return refuse(
      'forbidden-address',
      `endpoint ${shown} is a ${cls} address, not allowed for user-owned providers (allowed: ${policy.allow.join(', ') || 'none'})`,
    );
  return { ok: true, value: { resolve: false } };
}

/**
 * Decision before DNS: a literal IP is decided here; a name is refused when the policy denies it or
 * it is a loopback/metadata name, else `resolve: true` says its addresses must be checked too.
 */
export function checkEndpointHost(policy: EndpointPolicy, target: EndpointTarget): EndpointCheck {
  const host = normalizeHost(target.host);
  const ip = parseIp(host);
  if (ip !== null) return checkEndpointAddress(policy, target, host);
  if (host === '') return refuse('bad-url', 'endpoint has no host');
  if (policy.denyHosts.some((p) => matchesPattern(p, host, null)))
    return refuse('forbidden-host', `endpoint host ${host} is denied by the endpoint policy`);
  if (METADATA_NAME.test(host)) return refuse('forbidden-address', `endpoint host ${host} is a cloud metadata service`);
  if (LOOPBACK_NAME.test(host)) return checkEndpointAddress(policy, target, '127.0.0.1');
  return { ok: true, value: { resolve: true } };
}

/** Host and port of an endpoint URL as a socket would use them (WHATWG parsing: `2130706433` is 127.0.0.1). */
export function endpointTarget(endpoint: string): Result<EndpointTarget, EndpointRefusal> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, error: { reason: 'bad-url', message: 'endpoint is not a valid URL' } };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, error: { reason: 'bad-url', message: 'endpoint must be http or https' } };
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { ok: true, value: { host: url.hostname, port } };
}
