import { rotationConfigSchema, type Snapshot } from '@aisbf/core';

export interface SnapshotSize {
  users?: number;
  providers?: number;
  rotations?: number;
}

/** A plausible snapshot: users with tokens, providers with models, rotations over them. */
export function buildSnapshot(version: number, size: SnapshotSize = {}): Snapshot {
  const users = size.users ?? 3;
  const providers = size.providers ?? 3;
  const rotations = size.rotations ?? 3;
  return {
    version,
    createdAt: 1_700_000_000_000 + version,
    users: Array.from({ length: users }, (_, i) => ({
      id: `u${i}`,
      username: `user${i}`,
      role: i === 0 ? 'admin' : 'user',
      disabled: false,
    })),
    tokens: Array.from({ length: users * 2 }, (_, i) => ({
      id: `t${i}`,
      userId: `u${i % users}`,
      name: `token ${i}`,
      hash: (i.toString(16) + 'a'.repeat(64)).slice(0, 64),
      expiresAt: null,
    })),
    providers: Array.from({ length: providers }, (_, i) => ({
      ownerId: i % 2 === 0 ? null : `u${i % users}`,
      id: `provider-${i}`,
      type: 'openai' as const,
      endpoint: `http://10.0.0.${i % 250}:8000/v1`,
      apiKeyEnc: `v1:${'i'.repeat(16)}:${'t'.repeat(22)}:${'c'.repeat(60)}`,
      enabled: true,
      adminOnly: false,
      models: [
        { name: 'llama-3.1-8b', contextWindow: 131072 },
        { name: 'qwen2.5-coder-32b' },
        { name: `model-${version}` },
      ],
      timeouts: {},
    })),
    rotations: Array.from({ length: rotations }, (_, i) => ({
      ownerId: null,
      id: `rotation-${i}`,
      config: rotationConfigSchema.parse({
        model_name: `rotation-${i}`,
        providers: [
          { provider_id: `provider-${i % providers}`, model: 'llama-3.1-8b', weight: 10, error_cooldown: 30 },
          { provider_id: `provider-${(i + 1) % providers}`, model: 'qwen2.5-coder-32b', weight: 5, error_cooldown: 60 },
        ],
      }),
    })),
    autoselects: [],
  };
}
