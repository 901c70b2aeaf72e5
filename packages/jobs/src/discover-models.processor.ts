import { z } from 'zod';
import { GatewayError, safeJsonParse, type ConfigChange } from '@aisbf/core';
import { findProvider, replaceProviderModels, withConfigChange, type Db, type StoredProviderModel } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { connectRefusal, fetchFor } from './fetch-for';
import { modelsRequest } from './models-request';

export interface ModelDiscovery {
  /** Model names the provider serves now, in the order it listed them. */
  models: string[];
  added: string[];
  removed: string[];
}

export interface DiscoverModelsPayload {
  /** Owner user id, or null for a global provider. */
  ownerId: string | null;
  /** The provider's slug. */
  providerId: string;
}

export const discoverModelsPayloadSchema = z.object({ ownerId: z.string().nullable(), providerId: z.string().min(1) });

export interface DiscoverModelsDeps {
  db: Db;
  secretBox: SecretBox;
  fetch?: typeof fetch;
  /** For user-owned providers (JobProcessorDeps.userFetch); default `fetch`. */
  userFetch?: typeof fetch;
  publish: (change: ConfigChange) => Promise<void>;
  /** Default 10 s: a provider that does not list its models in that time is reported as failing. */
  timeoutMs?: number;
  now?: () => number;
}

/** OpenAI's `{data:[{id}]}`, Ollama's `{models:[{name}]}`, or a bare array of either or of strings. */
const listingSchema = z.union([
  z.object({ data: z.array(z.unknown()) }).loose(),
  z.object({ models: z.array(z.unknown()) }).loose(),
  z.array(z.unknown()),
]);

function modelNames(body: unknown): string[] | null {
  const parsed = listingSchema.safeParse(body);
  if (!parsed.success) return null;
  const data: unknown = parsed.data;
  const record =
    typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  const listed = Array.isArray(data) ? data : (record?.['data'] ?? record?.['models']);
  const items: unknown[] = Array.isArray(listed) ? listed : [];
  const names: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') names.push(item);
    else if (typeof item === 'object' && item !== null) {
      const record = item as Record<string, unknown>;
      const name =
        typeof record['id'] === 'string'
          ? record['id']
          : typeof record['name'] === 'string'
            ? record['name']
            : typeof record['model'] === 'string'
              ? record['model']
              : null;
      if (name !== null && name.length > 0 && name.length <= 256) names.push(name);
    }
  }
  return [...new Set(names)];
}

/**
 * The `discover-models` job (docs/architecture.md "Jobs and health"): GET `{endpoint}/models` with the provider's key, store
 * the list (keeping context windows, prices and defaults already known for a name), bump the config
 * version and publish. A plain function: BullMQ and the in-process runner both call it.
 */
export async function discoverModels(
  deps: DiscoverModelsDeps,
  payload: DiscoverModelsPayload,
): Promise<ModelDiscovery> {
  const provider = await findProvider(deps.db, payload.ownerId, payload.providerId);
  if (provider === undefined)
    throw new GatewayError('NOT_FOUND', `provider "${payload.providerId}" does not exist`, { path: 'providerId' });
  const { url, headers, parse } = modelsRequest(provider, deps.secretBox);
  const doFetch = fetchFor(deps, payload.ownerId);
  let response: Response;
  try {
    response = await doFetch(url, { headers, signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000) });
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? 'timed out'
        : `could not connect${connectRefusal(error)}`;
    throw new GatewayError('UPSTREAM_ERROR', `GET ${url} ${reason}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new GatewayError('UPSTREAM_ERROR', `GET ${url} answered ${response.status}`);
  const body = safeJsonParse(text);
  const names = body.ok ? (parse ?? modelNames)(body.value) : null;
  if (names === null) throw new GatewayError('UPSTREAM_ERROR', `GET ${url} did not return a model list`);

  const now = (deps.now ?? Date.now)();
  const { value, version } = await withConfigChange(
    deps.db,
    async (trx) => {
      const current = await findProvider(trx, payload.ownerId, payload.providerId);
      if (current === undefined)
        throw new GatewayError('NOT_FOUND', `provider "${payload.providerId}" was deleted during discovery`);
      const known = new Map(current.models.map((m) => [m.name, m]));
      const models: StoredProviderModel[] = names.map((name) => ({
        ...(known.get(name) ?? { name }),
        source: 'discovered',
        discoveredAt: now,
      }));
      await replaceProviderModels(trx, current.rowId, models);
      const before = new Set(known.keys());
      const after = new Set(names);
      return {
        models: names,
        added: names.filter((n) => !before.has(n)),
        removed: [...before].filter((n) => !after.has(n)),
      };
    },
    { ownersOf: () => [payload.ownerId] },
  );
  await deps.publish({ version, kind: 'models', id: payload.providerId, op: 'upsert', owner: payload.ownerId });
  return value;
}
