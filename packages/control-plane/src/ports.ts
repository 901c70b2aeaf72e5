import type { ConfigChange } from '@aisbf/core';
import type { DiscoverModelsPayload, ModelDiscovery } from '@aisbf/jobs';

/**
 * Announces committed config changes (docs/architecture.md "Propagation"). Structurally satisfied by @aisbf/bus's
 * SnapshotPublisher; the in-process default is a callback.
 */
export interface ConfigPublisher {
  publish(change: ConfigChange): Promise<void>;
}

/** Runs jobs the control plane waits on: in-process (all-in-one) or through BullMQ (cluster). */
export interface JobRunner {
  discoverModels(payload: DiscoverModelsPayload): Promise<ModelDiscovery>;
  /**
   * Starts a discovery nobody waits for: a provider was created or changed (docs/jobs.md
   * "Discovery follows use"). Never throws; a runner without it leaves discovery to "Get Models"
   * and to the provider's first use.
   */
  discoverSoon?(payload: DiscoverModelsPayload): void;
}

export interface Session {
  userId: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Dashboard sessions: in memory in all-in-one mode, Redis in cluster mode (docs/architecture.md "Processes and ports"). */
export interface SessionStore {
  /** Stores a session and returns its opaque id (the cookie value). */
  create(userId: string, ttlMs: number): Promise<string>;
  /** The live session, or null when unknown or expired. */
  get(id: string): Promise<Session | null>;
  delete(id: string): Promise<void>;
  /** Ends every session of a user (deleted or disabled). */
  deleteForUser(userId: string): Promise<void>;
  close(): Promise<void>;
}

/** Data-plane nodes as the cluster reports them (system.overview); empty in all-in-one mode. */
export interface NodeInfo {
  id: string;
  version: number;
  lagMs: number;
  seenAt: number;
}

/**
 * Sends a request to a data plane (the MCP `chat` tool): the all-in-one server's own port on
 * loopback, or `AISBF_DATA_PLANE_URL` in cluster mode. `path` starts with `/`.
 */
export type DataPlaneFetch = (path: string, init: RequestInit) => Promise<Response>;

/** One open cooldown (docs/cluster.md "Cooldowns"); satisfied by @aisbf/bus's `CooldownReader`. */
export interface OpenCooldownInfo {
  /** `<owner scope>|<provider>|<model>`, the data plane's entry key. */
  key: string;
  until: number;
  openedAt: number;
}

/**
 * The shared cooldown state, read only: Redis in cluster mode, the data plane's in-process store
 * all-in-one. The control plane never reaches into a data plane to read it.
 */
export interface CooldownSource {
  open(): Promise<OpenCooldownInfo[]>;
}

/** The health job's last verdict per provider and provider model; satisfied by @aisbf/bus's `HealthStore`. */
export interface HealthMarkSource {
  all(): Promise<
    Array<{
      providerOwnerId: string | null;
      providerId: string;
      model: string | null;
      status: 'healthy' | 'unhealthy' | 'unknown';
      reason: string;
      at: number;
      since?: number | undefined;
    }>
  >;
}
