import type { ConnectionOptions } from 'bullmq';

export interface QueueConnection {
  /** `redis://[user:pass@]host:port[/db]` */
  url: string;
  /**
   * Key prefix of every queue of one cluster. BullMQ joins it with `:`, so a trailing `:` (as in
   * the bus' prefixes) is dropped.
   */
  prefix: string;
}

/** BullMQ wants its own connections (`maxRetriesPerRequest: null` for blocking commands). */
export function toBullmqConnection(url: string): ConnectionOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isFinite(db) ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

export const toBullmqPrefix = (prefix: string): string => prefix.replace(/:+$/, '') || 'bull';
