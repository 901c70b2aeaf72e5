import type { Queue } from 'bullmq';

/** Schedulers read per round trip while cleaning up: bounded memory at 200,000 legacy schedulers. */
const PAGE = 1_000;

/**
 * Earlier versions kept one `discover-models:<owner>:<provider>` job scheduler per enabled provider
 * (200,000 at 100,000 users). Discovery now follows use (docs/jobs.md "Discovery follows use") and
 * the discover queue holds no scheduler at all, so every scheduler found there is a legacy one:
 * removed with its next delayed job, a page at a time. Called at every worker start; once the
 * queue is clean this is one `ZCARD`. Returns how many were removed.
 */
export async function removeLegacyDiscoverSchedulers(queue: Queue): Promise<number> {
  if ((await queue.getJobSchedulersCount()) === 0) return 0;
  let removed = 0;
  let offset = 0;
  for (;;) {
    const page = await queue.getJobSchedulers(offset, offset + PAGE - 1);
    const legacy = page.filter((scheduler) => scheduler.key.startsWith('discover-models:'));
    // A page's removals go out together: one round trip's wait per page, not one per scheduler.
    const results = await Promise.all(legacy.map((scheduler) => queue.removeJobScheduler(scheduler.key)));
    removed += results.filter(Boolean).length;
    const kept = page.length - legacy.length;
    // Removed entries leave the sorted set: only the kept ones move the next page's offset.
    offset += kept;
    if (page.length < PAGE) return removed;
  }
}
