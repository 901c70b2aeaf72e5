import { PREFILL_REFUSAL_TTL_MS, type PrefillRefusals } from '@aisbf/core';
import type { Db } from './database';

/**
 * All-in-one mode's prefill memory (docs/reliability.md): one row per entry that refused an
 * assistant prefill, so a restart does not send it another. Cluster mode keeps the same in Redis
 * (packages/bus). Rows older than `ttlMs` are forgotten (and deleted when read).
 */
export function createDbPrefillRefusals(options: {
  db: Db;
  ttlMs?: number;
  now?: () => number;
  onError?: (error: unknown, context: string) => void;
}): PrefillRefusals {
  const { db } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? PREFILL_REFUSAL_TTL_MS;
  const onError = options.onError ?? (() => undefined);
  const writes = new Set<Promise<void>>();

  const track = (work: Promise<void>, context: string): void => {
    const p = work.catch((error: unknown) => onError(error, context));
    writes.add(p);
    void p.finally(() => writes.delete(p));
  };
  const write = async (key: string): Promise<void> => {
    const at = now();
    const updated = await db
      .updateTable('prefill_refusals')
      .set({ refused_at: at })
      .where('target_key', '=', key)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0)
      await db.insertInto('prefill_refusals').orIgnore().values({ target_key: key, refused_at: at }).execute();
  };
  const read = async (): Promise<string[]> => {
    const oldest = now() - ttlMs;
    await db.deleteFrom('prefill_refusals').where('refused_at', '<', oldest).execute();
    const rows = await db.selectFrom('prefill_refusals').select('target_key').execute();
    return rows.map((r) => r.target_key);
  };

  return {
    publish: (key) => track(write(key), 'prefill refusal write'),
    subscribe(handler) {
      let active = true;
      track(
        read().then((keys) => {
          if (active) for (const key of keys) handler(key);
        }),
        'prefill refusals read',
      );
      return () => {
        active = false;
      };
    },
    async close() {
      await Promise.all([...writes]);
    },
  };
}
