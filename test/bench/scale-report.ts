import type { MeasuringProcessFigures } from './measuring-process';
import { machineLine } from './report';
import type { ScaleSeedResult } from './scale-seed';

export interface NodeFigures {
  /** Spawn to the first `/readyz` 200 (a snapshot loaded). */
  bootMs: number;
  rssBootMiB: number;
  rssServedMiB: number;
  peakMiB: number;
}

export interface ScaleReport {
  at: string;
  /** The last commit of the bus, data plane and CLI: which propagation code was measured. */
  commit: string;
  loadAverage: number[];
  users: number;
  seed: ScaleSeedResult;
  /** Spawn to listening, first on an empty Redis prefix (every part stored). */
  controlBootMs: number;
  /** The same, restarted at the end on the same Redis (only the parts changed since stored). */
  controlRestartMs: number;
  nodes: NodeFigures[];
  served: number;
  serveS: number;
  /** Mutation reply to seen on both nodes, ms, one per change. */
  propagation: number[];
  /** Changes meant; fewer measured when the phase's time budget ran out. */
  changesPlanned: number;
  /** Why the changes stopped early, if one failed. */
  changeFailure: string | null;
  background: number;
  backgroundFailed: number;
  /** How long the propagation phase ran, seconds (the background requests' rate is theirs over it). */
  propagationS: number;
  cold: { firsts: number[]; added: number[] };
  /** The bench's own timing thread during the two timed phases (what a sample can include besides the cluster). */
  bench: { propagation: MeasuringProcessFigures; cold: MeasuringProcessFigures };
  revoke: { ms: number; refusedOnBoth: boolean; failure: string | null };
  totalS: number;
}

/**
 * The value at percentile `p` of `values`: the one at rank ⌊p/100 · n⌋ + 1 (one rank above the
 * nearest rank when p/100 · n is whole), so with 100 samples the p99 is the largest and with 300
 * the third largest; the conservative side, kept so that runs compare with the earlier ones.
 */
export function percentileOf(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 1 : 0)} ms` : 'never (timed out)');
const mib = (n: number): string => `${n.toFixed(0)} MiB`;
const both = (nodes: NodeFigures[], pick: (n: NodeFigures) => string): string => nodes.map(pick).join(' / ');
const spread = (values: number[]): string =>
  values.length === 0
    ? 'none measured'
    : `p50 ${ms(percentileOf(values, 50))}, p99 ${ms(percentileOf(values, 99))}, max ${ms(Math.max(...values))}`;

const stalls = (b: MeasuringProcessFigures): string =>
  `${ms(b.loopDelayP99Ms)} / ${ms(b.loopDelayMaxMs)}, GC ${ms(b.gcMs)} / ${ms(b.gcMaxMs)}`;

/** docs/benchmarks.md "Scale": what one `pnpm bench:scale` run measured. Pure. */
export function renderScale(r: ScaleReport): string {
  const n = r.users.toLocaleString('en-US');
  return [
    `### Scale: ${n} users (${r.at}; bus, db, data plane and CLI as of commit ${r.commit})`,
    '',
    `${machineLine()}; load average ${r.loadAverage.map((l) => l.toFixed(2)).join(', ')}; whole run ${r.totalS.toFixed(0)} s.`,
    'One `aisbf control-plane` (MariaDB, Redis) and two `aisbf data-plane` nodes (Redis only), the bundle `pnpm build` makes, run with plain node; requests go through each user’s own rotation to a mock upstream. Figures are node A / node B where there are two.',
    '',
    '| measure | figure |',
    '|---|---|',
    `| generated: ${n} users × (1 token, 2 providers with 1 model, 1 rotation, 1 autoselect), batched INSERTs through the db layer | ${r.seed.rows.toLocaleString('en-US')} rows in ${(r.seed.ms / 1000).toFixed(1)} s |`,
    `| control plane boot (spawn to listening), Redis empty: every part stored | ${ms(r.controlBootMs)} |`,
    `| control plane restart at the end, Redis holding the parts: only those the run’s commits changed are stored | ${ms(r.controlRestartMs)} |`,
    `| data-plane boot (spawn to the first \`/readyz\` 200) | ${both(r.nodes, (x) => ms(x.bootMs))} |`,
    `| data-plane RSS after boot | ${both(r.nodes, (x) => mib(x.rssBootMiB))} |`,
    `| data-plane RSS after serving ${r.served.toLocaleString('en-US')} distinct users (each node; ${r.serveS.toFixed(1)} s for both) | ${both(r.nodes, (x) => mib(x.rssServedMiB))} (peak ${both(r.nodes, (x) => mib(x.peakMiB))}) |`,
    `| propagation of ${r.propagation.length} single-user changes${r.propagation.length < r.changesPlanned ? ` (of ${r.changesPlanned} planned: the phase's time budget ran out)` : ''} while serving (${r.background} requests served meanwhile, ${(r.background / r.propagationS).toFixed(0)}/s${r.backgroundFailed > 0 ? `, ${r.backgroundFailed} failed` : ''}): mutation reply to served by both nodes | ${spread(r.propagation)}${r.changeFailure === null ? '' : `; **${r.changeFailure}**`} |`,
    `| a cold user’s added first-request latency (first request minus the second, ${r.cold.added.length} users never served before) | ${spread(r.cold.added)}; first requests p99 ${ms(percentileOf(r.cold.firsts, 99))} |`,
    `| the bench's own timing thread meanwhile (a sample includes its stalls): event-loop delay p99 / max, GC pauses summed / longest | propagation ${stalls(r.bench.propagation)}; cold users ${stalls(r.bench.cold)} |`,
    `| a revoked token refused on both nodes | ${r.revoke.failure !== null ? `**the revocation failed: ${r.revoke.failure}**` : `${r.revoke.refusedOnBoth ? 'yes' : '**no**'}, ${ms(r.revoke.ms)} after the mutation’s reply`} |`,
  ].join('\n');
}
