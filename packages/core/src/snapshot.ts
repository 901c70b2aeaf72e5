import type { AutoselectConfig } from './config/autoselect-config.schema';
import type { ProviderModel } from './config/provider-config.schema';
import type { ProviderType } from './config/provider-types';
import type { RotationConfig } from './config/rotation-config.schema';
import type { Timeouts } from './config/timeouts.schema';
import type { ModelLimits } from './config/context-keys.schema';
import type { CacheSetting } from './response-cache';

/**
 * The versioned configuration snapshot a data-plane node serves from (docs/architecture.md "Propagation"). It holds no
 * plaintext secret: tokens are SHA-256 hashes, provider keys stay AES-256-GCM ciphertext.
 * `ownerId` is a user id, or null for global (admin-owned) resources.
 */
export interface Snapshot {
  version: number;
  /** Epoch ms when this version was committed. */
  createdAt: number;
  users: SnapshotUser[];
  tokens: SnapshotToken[];
  providers: SnapshotProvider[];
  rotations: SnapshotRotation[];
  autoselects: SnapshotAutoselect[];
}

export type Role = 'admin' | 'user';

export interface Limits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /**
   * Quotas and budgets per calendar day / month, UTC (docs/usage.md). Requests and
   * tokens are quotas (429 when used up); cost is a budget in micro-units of currency (402).
   */
  requestsPerDay?: number;
  requestsPerMonth?: number;
  tokensPerDay?: number;
  tokensPerMonth?: number;
  costMicrosPerDay?: number;
  costMicrosPerMonth?: number;
}

export interface SnapshotUser {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  limits?: Limits;
}

export interface SnapshotToken {
  id: string;
  userId: string;
  name: string;
  /** Lowercase hex SHA-256 of the plaintext token. */
  hash: string;
  /** Epoch ms, or null for never. */
  expiresAt: number | null;
  limits?: Limits;
}

export interface SnapshotProvider {
  ownerId: string | null;
  id: string;
  type: ProviderType;
  endpoint: string;
  /** `v1:<iv>:<tag>:<ciphertext>` (base64url), or null when the provider needs no key. */
  apiKeyEnc: string | null;
  enabled: boolean;
  adminOnly: boolean;
  models: ProviderModel[];
  maxConcurrency?: number;
  /** `max_tokens` sent to vendors that require one when neither the request nor the model sets it. */
  defaultMaxTokens?: number;
  /** The provider's `default_*` context keys (docs/context.md "Order of resolution"). */
  limits?: ModelLimits;
  /** AISBF's `api_key_required`: with no `apiKeyEnc`, no request is sent to it (docs/context.md "Keys"). */
  apiKeyRequired?: boolean;
  /** AISBF's provider-level `rate_limit`: seconds kept between two requests to this provider. */
  rateLimitS?: number;
  /** Static headers of rows written before header values were sealed (plaintext; see sealed-headers.ts). */
  headers?: Record<string, string>;
  /** Static headers sent upstream, name → SecretBox ciphertext, decrypted in the data plane's memory like `apiKeyEnc`. */
  headersEnc?: Record<string, string>;
  timeouts: Timeouts;
  /** Response cache for direct routes to this provider (docs/cache.md). */
  cache?: CacheSetting;
}

export interface SnapshotRotation {
  ownerId: string | null;
  id: string;
  config: RotationConfig;
}

export interface SnapshotAutoselect {
  ownerId: string | null;
  id: string;
  config: AutoselectConfig;
}

export const emptySnapshot = (version = 0, createdAt = 0): Snapshot => ({
  version,
  createdAt,
  users: [],
  tokens: [],
  providers: [],
  rotations: [],
  autoselects: [],
});
