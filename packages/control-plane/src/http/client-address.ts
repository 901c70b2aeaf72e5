import { BlockList, isIP } from 'node:net';

/** A parsed `AISBF_TRUSTED_PROXIES` (addresses or CIDR blocks of the reverse proxies in front). */
export type TrustedProxies = BlockList;

/** `["10.0.0.0/8", "127.0.0.1"]` → a BlockList; throws on an entry that is not an address or CIDR. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.trim().split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
      throw new Error(`"${entry}" is not an IP address or CIDR block`);
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

const plain = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
const contains = (trusted: TrustedProxies, address: string): boolean => {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
};

/**
 * The client's address for per-address limits: the socket's peer, unless that peer is a trusted
 * proxy; then `X-Forwarded-For` is read from the right, skipping trusted hops, and the first
 * address that is not a trusted proxy is the client. A client cannot spoof its way past this: the
 * entries it wrote itself are left of the one its proxy appended.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trusted: TrustedProxies | undefined,
): string | undefined {
  if (socketAddress === undefined) return undefined;
  let current = plain(socketAddress);
  if (trusted === undefined || forwardedFor === undefined) return current;
  const hops = forwardedFor
    .split(',')
    .map((hop) => plain(hop.trim()))
    .filter((hop) => hop !== '');
  while (contains(trusted, current) && hops.length > 0) {
    const next = hops.pop()!;
    if (isIP(next) === 0) return current;
    current = next;
  }
  return current;
}
