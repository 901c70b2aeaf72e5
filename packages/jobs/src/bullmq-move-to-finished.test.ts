import { Scripts } from 'bullmq';
import { describe, expect, it } from 'vitest';

/**
 * patches/bullmq@5.81.5.patch (docs/jobs.md "The BullMQ patch"): when a worker completes a job,
 * BullMQ's moveToFinished gets the next job back in the same reply, an array holding that job's
 * whole data. Unpatched, its error check `result < 0` turned that array into a string: for a
 * 500-event usage batch, a ~300 KB string built and thrown away per job.
 */
type Fake = Pick<Scripts, 'moveToFinished' | 'finishedErrors'> & {
  queue: { client: Promise<object> };
  execCommand: () => Promise<unknown>;
};

const scriptsReplying = (reply: unknown): Fake => ({
  queue: { client: Promise.resolve({}) },
  execCommand: () => Promise.resolve(reply),
  moveToFinished: Scripts.prototype.moveToFinished,
  finishedErrors: Scripts.prototype.finishedErrors,
});

describe('BullMQ moveToFinished (patched)', () => {
  it('hands the next job over without turning the reply into a string', async () => {
    const nextJob = ['name', 'usage-flush', 'data', '{"events":[]}'];
    const reply = Object.assign([nextJob, 'next-id', 0, 0], {
      [Symbol.toPrimitive]: () => {
        throw new Error('the reply was coerced to a primitive');
      },
    });
    const next = await scriptsReplying(reply).moveToFinished('job-1', []);
    expect(next).toEqual([{ name: 'usage-flush', data: '{"events":[]}' }, 'next-id', 0, 0]);
  });

  it('still turns a negative code into its error', async () => {
    // -1: the job does not exist (BullMQ's ErrorCode.JobNotExist).
    await expect(scriptsReplying(-1).moveToFinished('job-1', [])).rejects.toThrow(/job-1/);
  });

  it('reads a plain 0 (no next job fetched) as nothing to hand over', async () => {
    await expect(scriptsReplying(0).moveToFinished('job-1', [])).resolves.toEqual([]);
  });
});
