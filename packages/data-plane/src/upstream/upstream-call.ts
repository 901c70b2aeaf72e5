import type { IncomingHttpHeaders } from 'node:http';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { Dispatcher, Pool } from 'undici';
import { createUtf8ChunkDecoder } from './utf8-chunk-decoder';
import { ENDPOINT_FORBIDDEN } from './endpoint-guard';

/** Why an attempt's own timer fired; the proxy loop turns it into a retry-table outcome. */
export type TimeoutKind = 'headers' | 'first-token' | 'idle' | 'budget';

export interface UpstreamCallOptions {
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  body: string;
  headersMs: number;
  /** Epoch ms after which the request's total budget is spent (before the first byte to the client). */
  deadline: number;
  clock: () => number;
  /** The client's disconnect signal: aborts this call too. Per request, so listeners die with it. */
  signal?: AbortSignal;
}

export type OpenResult =
  | { ok: true; call: UpstreamCall; status: number; headers: IncomingHttpHeaders }
  | { ok: false; error: 'refused' | 'reset' | 'timeout' | 'forbidden'; timeout: TimeoutKind | null; message: string };

/**
 * One HTTP exchange with an upstream. It owns an AbortController and a single watchdog timer:
 * whatever phase times out (headers, first token, idle, total budget) aborts the request, so the
 * socket is closed and nothing leaks (issue 14 "A timed-out attempt is cancelled upstream").
 */
export class UpstreamCall {
  readonly controller = new AbortController();
  timedOut: TimeoutKind | null = null;
  private timer: NodeJS.Timeout | null = null;
  private body: Dispatcher.ResponseData['body'] | null = null;
  private iterator: AsyncIterator<Buffer> | null = null;
  private parser: EventSourceParser | null = null;
  private events: string[] = [];
  private eventHead = 0;
  private ended = false;
  private readonly decode = createUtf8ChunkDecoder();

  /** Sends the request; resolves when headers arrive or the attempt failed before them. */
  static async open(options: UpstreamCallOptions): Promise<OpenResult> {
    const call = new UpstreamCall();
    options.signal?.addEventListener('abort', () => call.abort(), { once: true });
    const now = options.clock();
    const budgetLeft = options.deadline - now;
    call.arm(Math.min(options.headersMs, budgetLeft), options.headersMs <= budgetLeft ? 'headers' : 'budget');
    try {
      const response = await options.pool.request({
        method: 'POST',
        path: options.path,
        headers: options.headers,
        body: options.body,
        signal: call.controller.signal,
      });
      call.body = response.body;
      return { ok: true, call, status: response.statusCode, headers: response.headers as IncomingHttpHeaders };
    } catch (error) {
      call.disarm();
      if (call.timedOut !== null) return { ok: false, error: 'timeout', timeout: call.timedOut, message: `no response headers (${call.timedOut} timeout)` };
      const code = errorCode(error);
      // The endpoint policy refused the address (issue 9): nothing was sent, and retrying cannot help.
      if (code === ENDPOINT_FORBIDDEN) return { ok: false, error: 'forbidden', timeout: null, message: error instanceof Error ? error.message : 'refused by the endpoint policy' };
      const refused = code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN';
      return { ok: false, error: refused ? 'refused' : 'reset', timeout: null, message: code ?? 'connection failed' };
    }
  }

  /** (Re)starts the watchdog; when it fires the request is aborted and `timedOut` says why. */
  arm(ms: number, kind: TimeoutKind): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timedOut = kind;
      this.controller.abort();
    }, Math.max(0, ms));
  }

  /** Cheaper than re-arming: pushes the same timeout out again (idle timer per chunk). */
  refresh(): void {
    this.timer?.refresh();
  }

  disarm(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  abort(): void {
    this.disarm();
    if (!this.controller.signal.aborted) this.controller.abort();
  }

  /** Whole body (non-stream answers and error bodies), under the armed timer. Throws on cut/timeout. */
  async readAll(maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.body!) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) throw new Error('upstream body too large');
      chunks.push(buf);
    }
    this.disarm();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  }

  /**
   * The next SSE `data` payload, or null at a clean end of the body. Throws when the stream is
   * cut, reset or aborted by the watchdog (then `timedOut` is set).
   */
  async nextEvent(): Promise<string | null> {
    if (this.parser === null) {
      this.parser = createParser({ onEvent: (event) => void this.events.push(event.data) });
      this.iterator = (this.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    }
    while (this.eventHead >= this.events.length) {
      if (this.ended) return null;
      this.events.length = 0;
      this.eventHead = 0;
      const step = await this.iterator!.next();
      if (step.done === true) {
        this.ended = true;
        this.parser.feed('\n\n');
        continue;
      }
      this.parser.feed(this.decode(step.value));
    }
    return this.events[this.eventHead++]!;
  }

  /** True when `nextEvent` can answer without waiting for the network. */
  hasBufferedEvent(): boolean {
    return this.eventHead < this.events.length;
  }

  /** Releases the body without reading it (keeps the connection reusable when possible). */
  discard(): void {
    this.disarm();
    this.body?.resume();
  }
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let i = 0; i < 4 && typeof current === 'object' && current !== null; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_ABORTED') return code;
    current = (current as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
