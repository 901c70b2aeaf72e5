import { embeddedIpv4, inPrefix, parseIp, type IpAddress } from './ip-address';

/**
 * What an address is, for the endpoint policy (docs/security.md):
 * - `metadata`: cloud instance metadata (AWS/GCP/Azure 169.254.169.254, AWS fd00:ec2::254,
 *   Alibaba 100.100.100.200): always refused for user-owned providers.
 * - `link-local`: 169.254/16, fe80::/10 (where metadata services live).
 * - `loopback`: 127/8, ::1.
 * - `unspecified`: 0.0.0.0/8, :: (connects to the local host on most systems).
 * - `private`: the LAN (RFC 1918, CGNAT 100.64/10, IPv6 ULA fc00::/7 and site-local fec0::/10).
 * - `reserved`: multicast, broadcast, 240/4, benchmarking, documentation: never a real backend.
 * - `public`: everything else.
 */
export type AddressClass = 'metadata' | 'link-local' | 'loopback' | 'unspecified' | 'private' | 'reserved' | 'public';

const net = (cidr: string): [IpAddress, number] => {
  const [addr, bits] = cidr.split('/');
  return [parseIp(addr!)!, Number(bits)];
};

const METADATA = ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128'].map(net);
const V4: Array<[AddressClass, Array<[IpAddress, number]>]> = [
  ['unspecified', ['0.0.0.0/8'].map(net)],
  ['loopback', ['127.0.0.0/8'].map(net)],
  ['link-local', ['169.254.0.0/16'].map(net)],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map(net)],
  [
    'reserved',
    [
      '224.0.0.0/4',
      '240.0.0.0/4',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
    ].map(net),
  ],
];
const V6: Array<[AddressClass, Array<[IpAddress, number]>]> = [
  ['unspecified', ['::/128'].map(net)],
  ['loopback', ['::1/128'].map(net)],
  ['link-local', ['fe80::/10'].map(net)],
  ['private', ['fc00::/7', 'fec0::/10'].map(net)],
  ['reserved', ['ff00::/8', '2001:db8::/32', '100::/64'].map(net)],
];

export function classifyIp(ip: IpAddress): AddressClass {
  if (METADATA.some(([n, bits]) => inPrefix(ip, n, bits))) return 'metadata';
  const v4 = embeddedIpv4(ip);
  if (v4 !== null) return classifyIp(v4);
  for (const [kind, nets] of ip.family === 4 ? V4 : V6)
    if (nets.some(([n, bits]) => inPrefix(ip, n, bits))) return kind;
  return 'public';
}

/** Classifies an IP literal in any form; null when `text` is a host name, not an address. */
export function classifyAddress(text: string): AddressClass | null {
  const ip = parseIp(text);
  return ip === null ? null : classifyIp(ip);
}
