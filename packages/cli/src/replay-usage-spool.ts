import type { Logger } from 'pino';
import type { UsageSink } from '@aisbf/core';
import type { UsageSpool } from '@aisbf/jobs/producer';

/**
 * Hands the usage an earlier run could not write before it stopped back to the sink, in the
 * background: boot does not wait for it (docs/usage.md "Where usage goes").
 */
export function replayUsageSpool(spool: UsageSpool, sink: UsageSink, logger: Logger): void {
  spool.replay(sink).then(
    (events) => {
      if (events > 0) logger.info({ events }, 'usage kept at the last shutdown handed to the sink');
    },
    (error: unknown) => logger.error({ err: error }, 'usage spool replay failed'),
  );
}
