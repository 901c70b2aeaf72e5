import { createHash } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { Database, Db } from '../../packages/db/src/index';
import { hashApiToken, tokenHint, type SecretBox } from '../../packages/secrets/src/index';

/** What each generated user owns (docs/benchmarks.md "Scale"): their names, so the bench can call them. */
export const SCALE_SHAPE = Object.freeze({
  providers: ['p1', 'p2'],
  model: 'm1',
  rotation: 'r',
  autoselect: 'auto',
});

export interface ScaleSeedOptions {
  users: number;
  /** Every provider's endpoint (the bench's mock upstream). */
  endpoint: string;
  secretBox: SecretBox;
  /** Makes the users' tokens reproducible from their index (`scaleToken`). */
  tokenSeed: string;
  /** Users per batch of INSERTs (default 1,000). */
  batch?: number;
}

export interface ScaleSeedResult {
  users: number;
  rows: number;
  ms: number;
}

export const scaleUsername = (i: number): string => `u${String(i).padStart(7, '0')}`;

/** User `i`'s API token: derived from the seed, so the bench knows every token without storing 100,000 of them. */
export const scaleToken = (tokenSeed: string, i: number): string =>
  `aisbf_${createHash('sha256').update(`${tokenSeed}:${i}`).digest('base64url')}`;

/** User `i`'s token row id (the bench revokes by id). */
export const scaleTokenId = (tokenSeed: string, i: number): string => {
  const hex = createHash('sha256').update(`id:${tokenSeed}:${i}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

const rotationConfig = JSON.stringify({
  providers: SCALE_SHAPE.providers.map((provider_id, i) => ({ provider_id, model: SCALE_SHAPE.model, weight: 2 - i })),
});
const autoselectConfig = JSON.stringify({
  model_name: SCALE_SHAPE.autoselect,
  fallback: `user-rotation/${SCALE_SHAPE.rotation}`,
  classify_privacy: false,
  classify_semantic: false,
  available_models: [{ model_id: `user-rotation/${SCALE_SHAPE.rotation}`, description: 'the user rotation' }],
});

/**
 * Time-ordered row ids (the UUID version 7 layout: the seed's start time, then a counter). Each
 * row then lands at the end of its table's primary key and of the owner indexes instead of on a
 * random page of them, which matters once 100,000 users' rows outgrow MariaDB's default 128 MiB
 * buffer pool. With one transaction a batch and one sealed key per slug, the 100,000-user seed
 * went from 214.6 s to 100.6 s on the loaded box (docs/benchmarks.md "Scale"; not split by change).
 */
function orderedIds(startMs: number): () => string {
  const time = startMs.toString(16).padStart(12, '0');
  let n = 0;
  return () => {
    const c = (n++).toString(16).padStart(15, '0');
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${c.slice(0, 3)}-8${c.slice(3, 6)}-${c.slice(6)}000`;
  };
}

/**
 * `pnpm bench:scale`'s data: `users` users, each with 1 API token, 2 providers (one model each), 1
 * rotation over them and 1 autoselect, written straight into the database through the db layer's
 * Kysely schema in multi-row INSERTs (`batch` users a round, one transaction each), and the config
 * version bumped once. Rows are what the control plane itself writes: sealed provider keys, SHA-256
 * token hashes, configs as a user would send them; two shortcuts: time-ordered ids (see
 * `orderedIds`), and one sealed key per provider slug shared by every user (sealing 200,000 keys
 * one by one took 20 s of the seed; each row still holds a real SecretBox ciphertext).
 */
export async function seedScale(db: Db, options: ScaleSeedOptions): Promise<ScaleSeedResult> {
  const started = performance.now();
  const batch = options.batch ?? 1_000;
  const now = Date.now();
  const nextId = orderedIds(now);
  const sealed = new Map(SCALE_SHAPE.providers.map((slug) => [slug, options.secretBox.encrypt(`sk-scale-${slug}`)]));
  let rows = 0;
  for (let first = 0; first < options.users; first += batch) {
    const users: Array<Insertable<Database['users']>> = [];
    const tokens: Array<Insertable<Database['api_tokens']>> = [];
    const providers: Array<Insertable<Database['providers']>> = [];
    const models: Array<Insertable<Database['provider_models']>> = [];
    const rotations: Array<Insertable<Database['rotations']>> = [];
    const autoselects: Array<Insertable<Database['autoselects']>> = [];
    for (let i = first; i < Math.min(options.users, first + batch); i += 1) {
      const id = nextId();
      users.push({
        id,
        username: scaleUsername(i),
        password_hash: null,
        role: 'user' as const,
        disabled: 0,
        limits: null,
        created_at: now,
        updated_at: now,
      });
      const token = scaleToken(options.tokenSeed, i);
      tokens.push({
        id: scaleTokenId(options.tokenSeed, i),
        user_id: id,
        name: 'scale',
        hash: hashApiToken(token),
        hint: tokenHint(token),
        created_at: now,
        expires_at: null,
        revoked_at: null,
        last_used_at: null,
        limits: null,
      });
      for (const slug of SCALE_SHAPE.providers) {
        const rowId = nextId();
        providers.push({
          id: rowId,
          owner_id: id,
          owner_key: id,
          slug,
          type: 'openai',
          endpoint: options.endpoint,
          api_key_enc: sealed.get(slug)!,
          api_key_hint: 'sk-s…cale',
          enabled: 1,
          admin_only: 0,
          settings: '{}',
          created_at: now,
          updated_at: now,
        });
        models.push({
          provider_id: rowId,
          name: SCALE_SHAPE.model,
          context_window: null,
          prefill: null,
          pricing: null,
          defaults: null,
          limits: null,
          source: 'config' as const,
          discovered_at: null,
          position: 0,
        });
      }
      const scoped = { owner_id: id, owner_key: id, created_at: now, updated_at: now };
      rotations.push({ id: nextId(), slug: SCALE_SHAPE.rotation, config: rotationConfig, ...scoped });
      autoselects.push({ id: nextId(), slug: SCALE_SHAPE.autoselect, config: autoselectConfig, ...scoped });
    }
    // One transaction a batch: one log flush per 1,000 users instead of one per statement.
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(users).execute();
      await trx.insertInto('api_tokens').values(tokens).execute();
      await trx.insertInto('rotations').values(rotations).execute();
      await trx.insertInto('autoselects').values(autoselects).execute();
      await trx.insertInto('providers').values(providers).execute();
      await trx.insertInto('provider_models').values(models).execute();
    });
    rows += users.length + tokens.length + providers.length + models.length + rotations.length + autoselects.length;
  }
  await db
    .updateTable('config_version')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
    .where('id', '=', 1)
    .execute();
  return { users: options.users, rows, ms: performance.now() - started };
}
