import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SseBatch } from './sse-batch';

/** A response that records each write (one write is one chunk on the socket). */
function recorder(): { res: ServerResponse; writes: Array<string | Buffer> } {
  const writes: Array<string | Buffer> = [];
  const res = {
    write: (chunk: string | Buffer) => writes.push(chunk) > 0,
    end: (chunk: string) => void writes.push(chunk),
    once: () => res,
  } as unknown as ServerResponse;
  return { res, writes };
}

const a = 'event: content_block_delta\ndata: {"n":1}\n\n';
const b = 'event: content_block_delta\ndata: {"n":2}\n\n';

describe('SseBatch', () => {
  it('sends a read whose frames were all kept as the very bytes that came in, in one write', () => {
    const { res, writes } = recorder();
    const batch = new SseBatch(res);
    const raw = Buffer.from(a + b);
    const text = raw.toString();
    batch.keepFrame(text, 0, a.length);
    batch.keepFrame(text, a.length, text.length);
    expect(batch.readEnd(raw, () => {})).toBe(true);
    expect(writes).toEqual([raw]);
    expect(writes[0]).toBe(raw);
  });

  it('sends the kept frames without a dropped one, and a reframed one in its place, in one write', () => {
    const { res, writes } = recorder();
    const batch = new SseBatch(res);
    const raw = Buffer.from(a + 'data: junk\n\n' + b);
    const text = raw.toString();
    batch.keepFrame(text, 0, a.length);
    batch.drop();
    batch.keepFrame(text, text.length - b.length, text.length);
    batch.readEnd(raw, () => {});
    batch.keepFrame(text, 0, a.length);
    batch.appendFrame('event: ping\ndata: {}\n\n');
    batch.readEnd(null, () => {});
    expect(writes).toEqual([a + b, a + 'event: ping\ndata: {}\n\n']);
  });

  it('never sends raw bytes for a read that only partly came as kept frames', () => {
    const { res, writes } = recorder();
    const batch = new SseBatch(res);
    const raw = Buffer.from(a + b);
    const text = raw.toString();
    batch.keepFrame(text, a.length, text.length);
    batch.readEnd(raw, () => {});
    expect(writes).toEqual([b]);
  });
});
