import type { UserPart } from '../../packages/core/src/index';

/** Shapes of user parts the part benches measure (docs/cluster.md "What a node holds"). */
export type PartShape = 'scale' | 'small' | 'heavy';

/**
 * A user part as the control plane stores it for user `userId`: `scale` is `pnpm bench:scale`'s
 * user (1 token, 2 providers with 1 model, 1 rotation over them, 1 autoselect: 1,650 characters
 * of JSON), `small` a user with one token and nothing else, `heavy` one with 8 providers × 5
 * models and 4 rotations of 6 entries.
 */
export function benchUserPart(shape: PartShape, userId: string, username: string, tokenHash: string): UserPart {
  const provider = (id: string, models: string[]) => ({
    ownerId: userId,
    id,
    type: 'openai',
    endpoint: 'http://127.0.0.1:33567/v1',
    apiKeyEnc: 'v1:_P-ykmpvH3ybhTRG:DsYEykGX3adtBHhUDH79Lw:OIx7GXNTOnlZL8NcVArI',
    enabled: true,
    adminOnly: false,
    models: models.map((name) => ({ name })),
    timeouts: {},
  });
  const rotation = (id: string, entries: Array<[string, string]>) => ({
    ownerId: userId,
    id,
    config: {
      providers: entries.map(([provider_id, model], i) => ({
        provider_id,
        model,
        weight: entries.length - i,
        error_cooldown: 60,
      })),
      privacy: false,
      capabilities: [],
      strategy: 'priority',
      notifyerrors: false,
      allowed_fails: 3,
      midstream: 'error',
    },
  });
  const autoselect = {
    ownerId: userId,
    id: 'auto',
    config: {
      model_name: 'auto',
      fallback: 'user-rotation/r',
      classify_privacy: false,
      classify_semantic: false,
      classify_nsfw: false,
      privacy: false,
      nsfw: false,
      capabilities: [],
      available_models: [{ model_id: 'user-rotation/r', description: 'the user rotation', privacy: false }],
      selection_timeout_ms: 5000,
      decision_cache_s: 30,
      private_patterns: [],
    },
  };
  const part = {
    version: 1,
    user: { id: userId, username, role: 'user', disabled: false },
    tokens: [{ id: `${userId}-token`, userId, name: 'scale', hash: tokenHash, expiresAt: null }],
    providers: [] as unknown[],
    rotations: [] as unknown[],
    autoselects: [] as unknown[],
  };
  if (shape === 'scale') {
    part.providers = [provider('p1', ['m1']), provider('p2', ['m1'])];
    part.rotations = [
      rotation('r', [
        ['p1', 'm1'],
        ['p2', 'm1'],
      ]),
    ];
    part.autoselects = [autoselect];
  } else if (shape === 'heavy') {
    const models = Array.from({ length: 5 }, (_, m) => `model-${m}`);
    part.providers = Array.from({ length: 8 }, (_, p) => provider(`p${p}`, models));
    part.rotations = Array.from({ length: 4 }, (_, r) =>
      rotation(
        r === 0 ? 'r' : `r${r}`,
        Array.from({ length: 6 }, (_, k): [string, string] => [`p${k}`, `model-${k % 5}`]),
      ),
    );
    part.autoselects = [autoselect];
  }
  return part as unknown as UserPart;
}
