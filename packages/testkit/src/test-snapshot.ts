import {
  normalizeProviderModel,
  rotationConfigSchema,
  type ProviderModelInput,
  type RotationConfigInput,
  type Role,
  type Snapshot,
  type Timeouts,
} from '@aisbf/core';
import { hashApiToken, type SecretBox } from '@aisbf/secrets';

export interface TestSnapshotUser {
  username: string;
  role?: Role;
  /** Plaintext API token; stored hashed. */
  token: string;
  disabled?: boolean;
}

export interface TestSnapshotProvider {
  id: string;
  endpoint: string;
  /** Plaintext key; stored sealed with `secretBox`. */
  apiKey?: string;
  models: ProviderModelInput[];
  /** Username of the owner; omitted means global (admin-owned). */
  owner?: string;
  timeouts?: Timeouts;
  maxConcurrency?: number;
}

export interface TestSnapshotRotation {
  id: string;
  config: RotationConfigInput;
  owner?: string;
}

export interface TestSnapshotInput {
  secretBox: SecretBox;
  users: TestSnapshotUser[];
  providers?: TestSnapshotProvider[];
  rotations?: TestSnapshotRotation[];
  version?: number;
}

/**
 * A Snapshot built by hand for tests and the benchmark: user ids are `u-<username>`, token ids
 * `t-<username>`; rotation configs go through the same zod schema the control plane uses.
 */
export function buildTestSnapshot(input: TestSnapshotInput): Snapshot {
  const ownerId = (owner: string | undefined): string | null => (owner === undefined ? null : `u-${owner}`);
  return {
    version: input.version ?? 1,
    createdAt: 0,
    users: input.users.map((u) => ({
      id: `u-${u.username}`,
      username: u.username,
      role: u.role ?? 'user',
      disabled: u.disabled ?? false,
    })),
    tokens: input.users.map((u) => ({
      id: `t-${u.username}`,
      userId: `u-${u.username}`,
      name: 'test',
      hash: hashApiToken(u.token),
      expiresAt: null,
    })),
    providers: (input.providers ?? []).map((p) => ({
      ownerId: ownerId(p.owner),
      id: p.id,
      type: 'openai' as const,
      endpoint: p.endpoint.replace(/\/+$/, ''),
      apiKeyEnc: p.apiKey === undefined ? null : input.secretBox.encrypt(p.apiKey),
      enabled: true,
      adminOnly: false,
      models: p.models.map(normalizeProviderModel),
      timeouts: p.timeouts ?? {},
      ...(p.maxConcurrency !== undefined ? { maxConcurrency: p.maxConcurrency } : {}),
    })),
    rotations: (input.rotations ?? []).map((r) => ({
      ownerId: ownerId(r.owner),
      id: r.id,
      config: rotationConfigSchema.parse(r.config),
    })),
    autoselects: [],
  };
}
