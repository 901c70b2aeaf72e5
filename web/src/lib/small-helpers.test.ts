// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';
import { issueFor, toFailure, unclaimed } from './issues';
import { curlSnippet, baseUrlFor } from './snippets';
import { weightShares } from './weights';

describe('weights shown as shares', () => {
  it('splits 6:3:1 into 60/30/10 % under the weighted strategy', () => {
    expect(weightShares([6, 3, 1], 'weighted').map((s) => s.label)).toEqual(['60%', '30%', '10%']);
  });
  it('under priority, the top weight serves and equal weights take turns', () => {
    const s = weightShares([6, 6, 1], 'priority');
    expect(s.map((x) => x.share)).toEqual([0.5, 0.5, 0]);
    expect(s.map((x) => x.label)).toEqual([
      '50% (primary, takes turns)',
      '50% (primary, takes turns)',
      '0% (backup, tier 2)',
    ]);
  });
});

describe('API issues next to fields', () => {
  const failure = toFailure(
    Object.assign(new Error('bad'), {
      data: {
        code: 'BAD_REQUEST',
        issues: [
          { path: 'input.endpoint', message: 'must be a URL' },
          { path: 'config.providers[0].weight', message: '>= 0' },
          { path: 'other', message: 'x' },
        ],
      },
    }),
  );
  it('reads the code and issues from a tRPC error', () => {
    expect(failure.code).toBe('BAD_REQUEST');
    expect(issueFor(failure.issues, 'endpoint')).toBe('must be a URL');
    expect(issueFor(failure.issues, 'providers[0].weight')).toBe('>= 0');
    expect(issueFor(failure.issues, 'id')).toBeUndefined();
    expect(unclaimed(failure.issues, ['endpoint', 'providers[0].weight']).map((i) => i.path)).toEqual(['other']);
  });
  it('turns a single-field error (data.fieldPath) into an issue for that field', () => {
    const f = toFailure(
      Object.assign(new Error('provider "x" already exists'), { data: { code: 'CONFLICT', fieldPath: 'id' } }),
    );
    expect(issueFor(f.issues, 'id')).toBe('provider "x" already exists');
  });
  it('keeps the server message when there are no issues', () => {
    expect(toFailure(new Error('boom'))).toEqual({ message: 'boom', code: undefined, issues: [] });
  });
});

describe('csv export', () => {
  it('quotes separators and neutralises spreadsheet formulas', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          { a: 'x,y', b: '=cmd()' },
          { a: 'say "hi"', b: -3 },
        ],
      ),
    ).toBe('a,b\r\n"x,y",\'=cmd()\r\n"say ""hi""",-3\r\n');
  });
});

describe('call snippets', () => {
  it('uses the per-user base URL and the route as model', () => {
    const base = baseUrlFor('http://localhost:17765/', 'alice');
    expect(base).toBe('http://localhost:17765/api/u/alice');
    expect(curlSnippet(base, 'user-rotation/coding-production')).toContain(
      `curl http://localhost:17765/api/u/alice/chat/completions`,
    );
    expect(curlSnippet(base, "it's")).toContain(`'\\''`);
  });
});
