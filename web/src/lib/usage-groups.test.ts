// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';
import { groupRows, groupsTitle } from './usage-groups';

const group = (key: string, requests: number) => ({
  key,
  requests,
  errors: 0,
  promptTokens: requests * 10,
  completionTokens: requests,
  costMicros: null,
  unpricedRequests: 0,
});

describe('the usage page’s grouped table', () => {
  it('lists the groups, then one line summing those past the bound', () => {
    const usage = {
      groups: [group('alice', 9), group('bob', 5)],
      others: {
        count: 48,
        requests: 60,
        errors: 2,
        promptTokens: 600,
        completionTokens: 60,
        costMicros: 1500,
        unpricedRequests: 1,
      },
    };
    const rows = groupRows(usage);
    expect(rows.map((r) => [r.key, r.requests, r.others])).toEqual([
      ['alice', 9, false],
      ['bob', 5, false],
      ['48 others', 60, true],
    ]);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(74);
    expect(groupsTitle('user', 'tokens', usage)).toBe('Top 2 of 50 by user, by tokens');
    expect(toCsv(['key', 'requests'], rows as unknown as Array<Record<string, unknown>>)).toBe(
      'key,requests\r\nalice,9\r\nbob,5\r\n48 others,60\r\n',
    );
  });

  it('adds no line when every group is listed, and names a single other', () => {
    const all = { groups: [group('r-1', 3)], others: null };
    expect(groupRows(all).map((r) => r.key)).toEqual(['r-1']);
    expect(groupsTitle('route', 'requests', all)).toBe('By route, by requests');
    const one = { groups: [group('r-1', 3)], others: { ...group('x', 1), count: 1 } };
    expect(groupRows(one).map((r) => r.key)).toEqual(['r-1', '1 other']);
    expect(groupRows(undefined)).toEqual([]);
  });
});
