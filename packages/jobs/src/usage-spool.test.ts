import { mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageEvent, UsageSink } from '@aisbf/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createUsageSpool } from './usage-spool';
import { makeUsageEvent } from './test-support/usage-events';

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'aisbf-spool-'));
  dirs.push(dir);
  return join(dir, 'usage-spool');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A sink that takes events and says when flush() was asked for, to check the order of replay's steps. */
function collectingSink(): UsageSink & { events: UsageEvent[]; flushedAt: number[] } {
  const events: UsageEvent[] = [];
  const flushedAt: number[] = [];
  return {
    events,
    flushedAt,
    emit: (event) => void events.push(event),
    flush: async () => void flushedAt.push(events.length),
    close: async () => undefined,
  };
}

describe('createUsageSpool', () => {
  it('keeps events in a file only its owner can read, and replays them once', async () => {
    const dir = scratch();
    const spool = createUsageSpool({ dir });
    const events = Array.from({ length: 3 }, (_, i) => makeUsageEvent('spool', i));
    const path = await spool.save(events);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]);

    const sink = collectingSink();
    expect(await spool.replay(sink)).toBe(3);
    expect(sink.events).toEqual(events);
    // Deleted only after the sink said it has written them.
    expect(sink.flushedAt).toEqual([3]);
    expect(readdirSync(dir)).toEqual([]);
    expect(await spool.replay(collectingSink())).toBe(0);
  });

  it('replays nothing when nothing was ever spooled', async () => {
    expect(await createUsageSpool({ dir: scratch() }).replay(collectingSink())).toBe(0);
  });

  it('skips and reports lines that are not usage events, and ignores unfinished temporary files', async () => {
    const dir = scratch();
    const errors: string[] = [];
    const spool = createUsageSpool({ dir, onError: (error) => errors.push((error as Error).message) });
    const path = await spool.save([makeUsageEvent('spool', 1)]);
    writeFileSync(path, `{"id":"short"}\nnot json\n`, { flag: 'a' });
    writeFileSync(join(dir, 'usage-1-1-aaaa.tmp'), JSON.stringify(makeUsageEvent('spool', 2)));
    const sink = collectingSink();
    expect(await spool.replay(sink)).toBe(1);
    expect(sink.events.map((e) => e.id)).toEqual([makeUsageEvent('spool', 1).id]);
    expect(errors).toEqual([expect.stringMatching(/^2 unreadable lines in usage-.*\.ndjson$/)]);
  });

  it('takes over a file whose replaying process died before it finished', async () => {
    const dir = scratch();
    const spool = createUsageSpool({ dir });
    const path = await spool.save([makeUsageEvent('spool', 7)]);
    // Claimed by a process that is gone (pid numbers this high are not handed out on Linux).
    renameSync(path, `${path}.replaying-4194999`);
    const sink = collectingSink();
    expect(await spool.replay(sink)).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});
