import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamCall } from './upstream-call';

/**
 * The watchdog's phases (upstream-call.ts `arm`; docs/reliability.md): each ends when it should,
 * whether the next phase is longer or shorter than the one before, and data keeps an idle stream
 * open (the timer is pushed out per read).
 */
describe('UpstreamCall watchdog (real HTTP)', () => {
  let server: Server;
  let pool: Pool;
  const open = new Set<ServerResponse>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      const delay = Number(new URL(req.url!, 'http://x').searchParams.get('head') ?? '0');
      const every = Number(new URL(req.url!, 'http://x').searchParams.get('every') ?? '0');
      const count = Number(new URL(req.url!, 'http://x').searchParams.get('count') ?? '0');
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // The head leaves now even when no event follows (a first-token stall).
        res.flushHeaders();
        let sent = 0;
        const tick = setInterval(() => {
          if (res.destroyed || sent === count) {
            clearInterval(tick);
            return; // then silent: a stall
          }
          sent++;
          res.write(`data: {"n":${sent}}\n\n`);
        }, every);
      }, delay);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await pool.close().catch(() => undefined);
    await new Promise((resolve) => server.close(resolve));
  });

  const start = (path: string, headersMs: number, budgetMs = 60_000) =>
    UpstreamCall.open({
      pool,
      path,
      headers: {},
      body: '{}',
      headersMs,
      deadline: Date.now() + budgetMs,
      clock: Date.now,
    });

  it('a headers timeout still fires on time', async () => {
    const began = performance.now();
    const result = await start('/?head=400', 80);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.timeout).toBe('headers');
    expect(performance.now() - began).toBeGreaterThanOrEqual(75);
    expect(performance.now() - began).toBeLessThan(2_000);
  });

  /** A stream that sends no event: the first-token phase armed after a headers timer of `headersMs` ends it; ms taken. */
  const firstTokenTimeout = async (headersMs: number, firstTokenMs: number): Promise<number> => {
    const result = await start('/?count=0', headersMs);
    if (!result.ok) throw new Error(result.message);
    const began = performance.now();
    result.call.arm(firstTokenMs, 'first-token');
    await expect(result.call.nextEvent()).rejects.toThrow();
    expect(result.call.timedOut).toBe('first-token');
    return performance.now() - began;
  };

  it('a later phase that ends later than the headers timer ends at its own time', async () => {
    const took = await firstTokenTimeout(60, 250);
    expect(took).toBeGreaterThanOrEqual(240);
    expect(took).toBeLessThan(2_000);
  });

  it('a shorter phase replaces a longer timer', async () => {
    expect(await firstTokenTimeout(5_000, 60)).toBeLessThan(2_000);
  });

  it('data keeps an idle stream open past its idle time; a stall then ends it one idle time after the last data', async () => {
    // 15 events 30 ms apart (~450 ms) under a 300 ms idle timer, then silence.
    const result = await start('/?every=30&count=15', 1_000);
    if (!result.ok) throw new Error(result.message);
    const call = result.call;
    expect(await call.nextEvent()).toBe('{"n":1}');
    call.arm(300, 'idle');
    let events = 1;
    let lastAt = performance.now();
    const began = performance.now();
    await expect(
      call.relay({
        event: () => {
          events++;
          lastAt = performance.now();
          return true;
        },
        readEnd: () => true,
      }),
    ).rejects.toThrow();
    expect(call.timedOut).toBe('idle');
    expect(events).toBe(15);
    expect(lastAt - began).toBeGreaterThan(320);
    const afterLast = performance.now() - lastAt;
    expect(afterLast).toBeGreaterThanOrEqual(290);
    expect(afterLast).toBeLessThan(2_000);
  });
});
