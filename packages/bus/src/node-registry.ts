import type { Redis } from 'ioredis';
import type { ManagedPartSource } from './bus-part-source';
import { closeClient, createRedisClient, isReady } from './redis-client';

/** Structurally the control plane's `NodeInfo`. */
export interface ClusterNode {
  id: string;
  /** Snapshot version the node serves. */
  version: number;
  /** How long the node has been behind an announced version (0 when current). */
  lagMs: number;
  /** Epoch ms of its last heartbeat. */
  seenAt: number;
}

export interface NodeHeartbeatOptions {
  url: string;
  prefix: string;
  nodeId: string;
  source: Pick<ManagedPartSource, 'status'>;
  /** Default 5 s. */
  everyMs?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}

const nodesKey = (prefix: string): string => `${prefix}nodes`;

/** Data-plane side: reports which snapshot this node serves, for the dashboard's cluster view. */
export function startNodeHeartbeat(options: NodeHeartbeatOptions): { beat(): Promise<void>; close(): Promise<void> } {
  const client = createRedisClient({
    url: options.url,
    name: `aisbf-heartbeat-${options.nodeId}`,
    onError: options.onError,
  });
  const now = options.now ?? Date.now;
  const beat = async (): Promise<void> => {
    if (!isReady(client)) return; // the node keeps serving; the dashboard shows it as stale
    const status = options.source.status();
    const t = now();
    const node: ClusterNode = {
      id: options.nodeId,
      version: status.version ?? 0,
      lagMs: status.behindSince === null ? 0 : t - status.behindSince,
      seenAt: t,
    };
    await client.hset(nodesKey(options.prefix), options.nodeId, JSON.stringify(node));
  };
  const timer = setInterval(() => beat().catch((error: unknown) => options.onError?.(error)), options.everyMs ?? 5_000);
  timer.unref();
  client.once('ready', () => void beat().catch((error: unknown) => options.onError?.(error)));
  return {
    beat,
    async close() {
      clearInterval(timer);
      if (isReady(client)) await client.hdel(nodesKey(options.prefix), options.nodeId).catch(() => undefined);
      await closeClient(client);
    },
  };
}

export interface NodeListOptions {
  url: string;
  prefix: string;
  /** Nodes silent for longer are dropped from the list (default 30 s). */
  staleMs?: number;
  client?: Redis;
  onError?: (error: unknown) => void;
  now?: () => number;
}

/** Control-plane side: `listNodes` for system.overview. */
export function createRedisNodeList(options: NodeListOptions): {
  listNodes(): Promise<ClusterNode[]>;
  close(): Promise<void>;
} {
  const owned = options.client === undefined;
  const client =
    options.client ?? createRedisClient({ url: options.url, name: 'aisbf-nodes', onError: options.onError });
  const now = options.now ?? Date.now;
  const staleMs = options.staleMs ?? 30_000;
  return {
    async listNodes() {
      const raw = await client.hgetall(nodesKey(options.prefix));
      const nodes: ClusterNode[] = [];
      const stale: string[] = [];
      for (const [field, value] of Object.entries(raw)) {
        let node: ClusterNode | null = null;
        try {
          const parsed = JSON.parse(value) as Partial<ClusterNode>;
          if (
            typeof parsed.id === 'string' &&
            typeof parsed.version === 'number' &&
            typeof parsed.lagMs === 'number' &&
            typeof parsed.seenAt === 'number'
          ) {
            node = { id: parsed.id, version: parsed.version, lagMs: parsed.lagMs, seenAt: parsed.seenAt };
          }
        } catch {
          node = null;
        }
        if (node && now() - node.seenAt <= staleMs) nodes.push(node);
        else stale.push(field);
      }
      if (stale.length > 0) await client.hdel(nodesKey(options.prefix), ...stale);
      return nodes.sort((a, b) => a.id.localeCompare(b.id));
    },
    async close() {
      if (owned) await closeClient(client);
    },
  };
}
