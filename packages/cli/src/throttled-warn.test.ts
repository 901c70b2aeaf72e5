import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createThrottledWarn } from './throttled-warn';

function capture(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('createThrottledWarn', () => {
  it('logs a context and message once per window, then says how many repeats it left out', () => {
    const { logger, lines } = capture();
    let t = 0;
    const warn = createThrottledWarn(logger, 'redis', 10_000, () => t);
    for (let i = 0; i < 50; i++) warn(new Error('write EPIPE'), 'limits');
    warn(new Error('read ECONNRESET'), 'limits');
    warn(new Error('write EPIPE'), 'heartbeat');
    expect(lines.map((l) => [l['context'], (l['err'] as { message: string }).message, l['repeated']])).toEqual([
      ['limits', 'write EPIPE', undefined],
      ['limits', 'read ECONNRESET', undefined],
      ['heartbeat', 'write EPIPE', undefined],
    ]);
    t = 10_000;
    warn(new Error('write EPIPE'), 'limits');
    expect(lines.at(-1)).toMatchObject({ context: 'limits', repeated: 49, msg: 'redis', level: 40 });
  });
});
