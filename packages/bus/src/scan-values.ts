import type { Redis } from 'ioredis';

/**
 * Every key under `prefix` with its value, the prefix cut off. SCAN, not KEYS: a large keyspace
 * must not block Redis for the other clients.
 */
export async function scanValues(client: Redis, prefix: string): Promise<Array<[string, string | null]>> {
  const found: Array<[string, string | null]> = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length === 0) continue;
    const values = await client.mget(...keys);
    keys.forEach((key, i) => found.push([key.slice(prefix.length), values[i] ?? null]));
  } while (cursor !== '0');
  return found;
}
