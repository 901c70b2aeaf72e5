import { Gauge, type Registry } from 'prom-client';

/** A partitioned config source's counters (structurally the bus source's status). */
export interface PartStats {
  usersHeld: number;
  /** Estimated heap bytes of the held parts (what the budget counts), and their JSON size. */
  bytesHeld: number;
  jsonBytesHeld: number;
  budgetBytes: number;
  unknownTokensHeld: number;
  unknownTokenHits: number;
  loads: number;
  evictions: number;
  resyncs: number;
  /** Epoch ms since when an announced version has not been applied; null when current. */
  behindSince: number | null;
}

/**
 * What a node holds of the partitioned config (docs/cluster.md "What a node holds"), read from the
 * source at scrape time. The counters are the source's own totals, so they are gauges here.
 */
export function registerPartMetrics(registry: Registry, stats: () => PartStats, clock: () => number): void {
  const gauge = (name: string, help: string, read: (s: PartStats) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  };
  gauge('aisbf_config_user_parts_held', 'User config parts held in memory', (s) => s.usersHeld);
  gauge(
    'aisbf_config_part_bytes_held',
    'Estimated heap bytes of the user parts held (what the budget counts)',
    (s) => s.bytesHeld,
  );
  gauge('aisbf_config_part_json_bytes_held', 'Serialised (JSON) bytes of the user parts held', (s) => s.jsonBytesHeld);
  gauge(
    'aisbf_config_part_budget_bytes',
    'Budget of held user parts in estimated heap bytes (AISBF_CONFIG_CACHE_MB)',
    (s) => s.budgetBytes,
  );
  gauge(
    'aisbf_config_unknown_tokens_held',
    'Unknown token hashes remembered (no store read each)',
    (s) => s.unknownTokensHeld,
  );
  gauge(
    'aisbf_config_unknown_token_hits',
    'Requests refused from the unknown-token memory since start, without a store read',
    (s) => s.unknownTokenHits,
  );
  gauge('aisbf_config_part_loads', 'User parts loaded on first use since start', (s) => s.loads);
  gauge('aisbf_config_part_evictions', 'User parts dropped by the byte budget since start', (s) => s.evictions);
  gauge('aisbf_config_resyncs', 'Full re-reads after the change log no longer covered a gap', (s) => s.resyncs);
  gauge('aisbf_config_lag_seconds', 'How long an announced change has waited to be applied (0 when current)', (s) =>
    s.behindSince === null ? 0 : Math.max(0, (clock() - s.behindSince) / 1000),
  );
}
