import type { Db } from './database';
import type { ProviderHealth } from './providers.repository';

/** One model's health as the health-check job last judged it. */
export interface ModelHealth {
  status: ProviderHealth['status'];
  checkedAt: number;
  error: string | null;
}

/** Update, else insert: the same two steps on both dialects (no upsert syntax they share). */
export async function setModelHealth(db: Db, providerRowId: string, model: string, health: ModelHealth): Promise<void> {
  const values = { status: health.status, checked_at: health.checkedAt, error: health.error };
  const updated = await db
    .updateTable('provider_model_health')
    .set(values)
    .where('provider_id', '=', providerRowId)
    .where('model', '=', model)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    await db
      .insertInto('provider_model_health')
      .orIgnore()
      .values({ provider_id: providerRowId, model, ...values })
      .execute();
}

/** Model health by provider row id, then model name. */
export async function listModelHealth(
  db: Db,
  providerRowIds: ReadonlyArray<string>,
): Promise<Map<string, Map<string, ModelHealth>>> {
  const out = new Map<string, Map<string, ModelHealth>>();
  if (providerRowIds.length === 0) return out;
  const rows = await db
    .selectFrom('provider_model_health')
    .selectAll()
    .where('provider_id', 'in', [...providerRowIds])
    .execute();
  for (const row of rows) {
    const models = out.get(row.provider_id) ?? new Map<string, ModelHealth>();
    out.set(row.provider_id, models);
    models.set(row.model, { status: row.status, checkedAt: Number(row.checked_at), error: row.error });
  }
  return out;
}

/**
 * Providers (row ids) that carry a verdict other than `unknown`, at either level: the health job
 * re-judges them even when idle, so an old mark is lifted instead of shown forever.
 */
export async function listMarkedProviderRowIds(db: Db): Promise<string[]> {
  const [providers, models] = await Promise.all([
    db.selectFrom('provider_health').select('provider_id').where('status', '!=', 'unknown').execute(),
    db.selectFrom('provider_model_health').select('provider_id').where('status', '!=', 'unknown').distinct().execute(),
  ]);
  return [...new Set([...providers, ...models].map((r) => r.provider_id))];
}
