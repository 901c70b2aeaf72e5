import { describe, expect, it } from 'vitest';
import { createInProcessPropagation } from './memory-part-source';
import { buildSnapshot } from './test-support/build-snapshot';
import { snapshotLoader } from './test-support/snapshot-loader';

describe('in-process propagation (all-in-one)', () => {
  it('serves the committed parts after start() and follows every change', async () => {
    let version = 1;
    const propagation = createInProcessPropagation({ load: snapshotLoader(() => buildSnapshot(version)) });
    try {
      await propagation.start();
      expect(await propagation.source.load()).toBe(true);
      expect(propagation.source.version()).toBe(1);
      const seen: number[] = [];
      propagation.source.subscribe((change) => seen.push(change.version));
      version = 2;
      await propagation.publisher.publish({ version: 2, kind: 'provider', id: 'p1', op: 'upsert', owner: null });
      version = 3;
      await propagation.publisher.publish({ version: 3, kind: 'token', id: 't1', op: 'delete', owner: 'u1' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen).toEqual([2, 3]);
      expect(propagation.source.version()).toBe(3);
      expect(propagation.source.global()?.providers.some((p) => p.models.some((m) => m.name === 'model-2'))).toBe(true);
      expect(propagation.source.connected()).toBe(true);
    } finally {
      await propagation.close();
    }
  });

  it('a failing read rejects the publish and leaves the served parts alone', async () => {
    let fail = false;
    const propagation = createInProcessPropagation({
      load: snapshotLoader(() => {
        if (fail) throw new Error('database away');
        return buildSnapshot(1);
      }),
    });
    try {
      await propagation.start();
      await propagation.source.load();
      fail = true;
      await expect(
        propagation.publisher.publish({ version: 2, kind: 'rotation', id: 'r', op: 'upsert', owner: null }),
      ).rejects.toThrow('database away');
      expect(propagation.source.version()).toBe(1);
      // The publisher is not stuck behind the failed publish.
      fail = false;
      await propagation.publisher.republish();
    } finally {
      await propagation.close();
    }
  });
});

describe('part publisher', () => {
  it('reads the touched part once per commit, however many resources the commit touched', async () => {
    const loader = snapshotLoader(() => buildSnapshot(5));
    const propagation = createInProcessPropagation({ load: loader });
    try {
      for (const id of ['r1', 'r2', 'r3'])
        await propagation.publisher.publish({ version: 5, kind: 'rotation', id, op: 'upsert', owner: 'u1' });
      expect(loader.reads).toEqual({ global: 0, user: 1, users: 0, changedSince: 0 });
      // A change that names no owner (an older caller) rewrites every part.
      await propagation.publisher.publish({ version: 6, kind: 'health', id: 'x', op: 'upsert' });
      expect(loader.reads).toMatchObject({ global: 1, users: 1 });
    } finally {
      await propagation.close();
    }
  });
});
