import type { Usage } from './api';

export type GroupOrder = 'requests' | 'tokens' | 'cost';

/** One line of the grouped table and of its CSV. */
export interface GroupRow {
  key: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number | null;
  unpricedRequests: number;
  /** The line that sums the groups past the report's bound. */
  others: boolean;
}

/**
 * The report's groups (the largest, at most its bound: docs/usage.md "Usage queries"), then one
 * line summing the rest when any were left out, so the table adds up to the totals above it.
 */
export function groupRows(usage: Pick<Usage, 'groups' | 'others'> | undefined): GroupRow[] {
  if (usage === undefined) return [];
  const rows: GroupRow[] = usage.groups.map((g) => ({ ...g, others: false }));
  const rest = usage.others;
  if (rest !== null) {
    const { count, ...sums } = rest;
    rows.push({ ...sums, key: `${count} other${count === 1 ? '' : 's'}`, others: true });
  }
  return rows;
}

/** The table's heading: what is shown and how it is ranked. */
export function groupsTitle(groupBy: string, order: GroupOrder, usage: Pick<Usage, 'groups' | 'others'>): string {
  return usage.others === null
    ? `By ${groupBy}, by ${order}`
    : `Top ${usage.groups.length} of ${usage.groups.length + usage.others.count} by ${groupBy}, by ${order}`;
}
