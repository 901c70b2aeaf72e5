import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat } from './logger';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('createLogger', () => {
  it('picks readable lines for a terminal and JSON otherwise, unless the setting says which', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes one readable line per entry in pretty mode, with secrets redacted before formatting', async () => {
    const out = capture();
    const logger = createLogger('info', { format: 'pretty', destination: out.stream });
    logger.info({ route: 'user-rotation/coding', token: 'aisbf_secret_value' }, 'request served');
    await new Promise((resolve) => setImmediate(resolve));
    const line = out.text();
    expect(line).toMatch(/INFO.*request served/);
    expect(line).toContain('user-rotation/coding');
    expect(line).not.toContain('aisbf_secret_value');
    expect(() => JSON.parse(line) as unknown).toThrow();
  });

  it('writes JSON lines in json mode', () => {
    const out = capture();
    createLogger('info', { format: 'json', destination: out.stream }).info({ apiKey: 'sk-123' }, 'hello');
    const entry = JSON.parse(out.text()) as Record<string, unknown>;
    expect(entry).toMatchObject({ msg: 'hello', apiKey: '[redacted]' });
  });
});
