import { describe, expect, it } from 'vitest';
import { createInProcessPropagation } from './memory-snapshot-source';
import { buildSnapshot } from './test-support/build-snapshot';

describe('in-process propagation (all-in-one)', () => {
  it('serves the committed snapshot after start() and follows every change', async () => {
    let version = 1;
    const propagation = createInProcessPropagation({ loadSnapshot: async () => buildSnapshot(version) });
    try {
      await propagation.start();
      expect((await propagation.source.load())?.version).toBe(1);
      const seen: number[] = [];
      propagation.source.subscribe((change) => seen.push(change.version));
      version = 2;
      await propagation.publisher.publish({ version: 2, kind: 'provider', id: 'p1', op: 'upsert' });
      version = 3;
      await propagation.publisher.publish({ version: 3, kind: 'token', id: 't1', op: 'delete' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen).toEqual([2, 3]);
      expect(propagation.source.current()?.version).toBe(3);
      expect(propagation.source.connected()).toBe(true);
    } finally {
      await propagation.close();
    }
  });

  it('a failing snapshot read rejects the publish and leaves the served snapshot alone', async () => {
    let fail = false;
    const propagation = createInProcessPropagation({
      loadSnapshot: async () => {
        if (fail) throw new Error('database away');
        return buildSnapshot(1);
      },
    });
    try {
      await propagation.start();
      fail = true;
      await expect(
        propagation.publisher.publish({ version: 2, kind: 'rotation', id: 'r', op: 'upsert' }),
      ).rejects.toThrow('database away');
      expect(propagation.source.current()?.version).toBe(1);
      // The publisher is not stuck behind the failed publish.
      fail = false;
      await propagation.publisher.republish();
    } finally {
      await propagation.close();
    }
  });
});

describe('snapshot publisher', () => {
  it('reads the snapshot once per commit, however many resources the commit touched', async () => {
    let loads = 0;
    const propagation = createInProcessPropagation({
      loadSnapshot: async () => {
        loads += 1;
        return buildSnapshot(5);
      },
    });
    try {
      const seen: string[] = [];
      propagation.source.subscribe((change) => seen.push(change.id));
      for (const id of ['r1', 'r2', 'r3'])
        await propagation.publisher.publish({ version: 5, kind: 'rotation', id, op: 'upsert' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(loads).toBe(1);
      expect(propagation.source.current()?.version).toBe(5);
    } finally {
      await propagation.close();
    }
  });
});
