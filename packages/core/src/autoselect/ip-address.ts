/**
 * Which IP addresses count as private data (decision, docs/autoselect.md): a public address can
 * point at a person or a customer's host, so it marks a request private. Loopback, RFC 1918,
 * link-local, CGNAT, documentation (RFC 5737 / RFC 3849), multicast and unspecified addresses appear
 * in every tutorial and docker file and say nothing about anyone, so they do not.
 */
export function publicIpv4(octets: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0] = octets;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 198 && b === 51 && c === 100) return false;
  if (a === 203 && b === 0 && c === 113) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

/** Parses `a.b.c.d` (each 0–255, no leading zeros) or returns null. */
export function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || (part.length > 1 && part.startsWith('0'))) return null;
    const n = Number(part);
    if (!Number.isInteger(n) || n > 255) return null;
    octets.push(n);
  }
  return octets;
}

/**
 * A global unicast IPv6 address (2000::/3, minus the 2001:db8::/32 documentation prefix), given a
 * candidate token. Returns false for anything that does not parse as IPv6.
 */
export function publicIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] | null => {
    if (s === '') return [];
    const g = s.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === null || tail === null) return false;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return false;
  const first = parseInt(head[0] ?? '0', 16);
  if (first < 0x2000 || first > 0x3fff) return false;
  if (first === 0x2001 && parseInt(head[1] ?? '0', 16) === 0xdb8) return false;
  return true;
}
