import { networkInterfaces } from 'node:os';

/**
 * Every address of this host's interfaces, loopback included (IPv6 zone ids dropped), read at
 * boot. The endpoint policy refuses the gateway's ports on each of them (docs/endpoint-policy.md):
 * a gateway listening on all interfaces loops through its LAN address as well as through 127.0.0.1.
 */
export function localInterfaceAddresses(): string[] {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces()))
    for (const entry of list ?? []) out.add(entry.address.replace(/%.*$/, ''));
  return [...out];
}
