import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import type { ClientSignal } from '../http/client-signal';
import { NdjsonReader } from './ndjson-reader';
import { SseReader } from './sse-reader';
import { createUtf8ChunkDecoder, type Utf8ChunkDecoder } from './utf8-chunk-decoder';
import { ENDPOINT_FORBIDDEN } from './endpoint-guard';
import { FRAME_TOO_LARGE_MESSAGE } from './max-stream-frame';

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
  signal?: ClientSignal;
  /** A backend of another dialect: its stream payloads become canonical ones (backend-transcoder.ts). */
  transcoder?: PayloadTranscoder;
}

/**
 * Turns each upstream payload into the payloads the proxy reads instead (zero or more); `end`
 * gives those still owed when the body ends cleanly. An empty string is a payload it could not
 * read (the proxy skips and counts it as malformed).
 */
export interface PayloadTranscoder {
  /** How the backend frames its stream: SSE events, or NDJSON lines (Ollama). */
  framing: 'sse' | 'ndjson';
  push(payload: string): string[];
  end(): string[];
}

export type OpenResult =
  | { ok: true; call: UpstreamCall; status: number; headers: IncomingHttpHeaders }
  | { ok: false; error: 'refused' | 'reset' | 'timeout' | 'forbidden'; timeout: TimeoutKind | null; message: string };

/**
 * Where a relayed stream's events go (push mode, `relay`): one synchronous call per SSE event
 * and one per upstream read, so a stream costs no promise per event (docs/benchmarks.md).
 */
export interface EventSink {
  /**
   * One SSE `data` payload, `text.slice(start, end)`; `framed`: it arrived as exactly
   * `data: <payload>\n\n`; `frameStart`: where its bytes as received begin in `text`, -1 when
   * they are not one whole frame there (SseReader). False stops the relay (the rest of the body
   * is dropped).
   */
  event(text: string, start: number, end: number, framed: boolean, frameStart: number): boolean;
  /**
   * After the events of one upstream read. `raw` is the read's bytes when they are exactly its
   * whole frames, in order (nothing carried across reads, nothing decoded differently, nothing
   * transcoded), else null: a sink that relays every frame verbatim may write `raw` as it came. False pauses the upstream until
   * `resume()`.
   */
  readEnd(raw: Buffer | null): boolean;
}

/** How a relay ended: `end` = the body ended (cleanly); `stopped` = the sink said stop. */
export type RelayEnd = 'end' | 'stopped';

type Waiter = { ready: () => boolean; resolve: () => void; reject: (error: Error) => void };

/**
 * One HTTP exchange with an upstream, on undici's dispatcher API: the response body is never a
 * stream object, its bytes go straight from the socket's parser to the SSE parser (or a buffer).
 * It owns a single watchdog timer: whatever phase times out (headers, first token, idle, total
 * budget) aborts the request, so the socket is closed and nothing leaks (docs/reliability.md).
 */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  timedOut: TimeoutKind | null = null;
  /** The stream was cut because one frame passed MAX_STREAM_FRAME_CHARS (max-stream-frame.ts). */
  frameTooLarge = false;
  private timer: NodeJS.Timeout | null = null;
  private controller: Dispatcher.DispatchController | null = null;
  /** Abort asked for before undici handed us the controller: applied as soon as it does. */
  private aborted: Error | null = null;
  private opened: ((result: OpenResult) => void) | null = null;
  private failure: Error | null = null;
  private ended = false;
  /** Body bytes not yet claimed by a reader (`readAll` or the SSE parser). */
  private chunks: Buffer[] = [];
  private size = 0;
  private maxBytes = Number.POSITIVE_INFINITY;
  private reader: SseReader | NdjsonReader | null = null;
  private framing: 'sse' | 'ndjson' = 'sse';
  /** Made when the body is first read as events (a non-stream answer never needs a TextDecoder). */
  private decoder: Utf8ChunkDecoder | null = null;
  /**
   * Events read before a sink takes them, kept in place: the read's text, and per event its
   * `start`, `end` and `frameStart` (EventSink#event) in `spans`. Handed to the relay as offsets,
   * the frames that came with the first content can still leave as the bytes that came in.
   */
  private events: string[] = [];
  private spans: number[] = [];
  private eventHead = 0;
  private sink: EventSink | null = null;
  private stopped = false;
  private waiter: Waiter | null = null;
  private unlisten: (() => void) | null = null;
  private transcoder: PayloadTranscoder | null = null;

  /** Sends the request; resolves when headers arrive or the attempt failed before them. */
  static open(options: UpstreamCallOptions): Promise<OpenResult> {
    const call = new UpstreamCall();
    call.transcoder = options.transcoder ?? null;
    call.framing = options.transcoder?.framing ?? 'sse';
    const budgetLeft = options.deadline - options.clock();
    call.arm(Math.min(options.headersMs, budgetLeft), options.headersMs <= budgetLeft ? 'headers' : 'budget');
    const result = new Promise<OpenResult>((resolve) => {
      call.opened = resolve;
    });
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) call.abort();
      else call.unlisten = signal.onAbort(() => call.abort());
    }
    try {
      options.pool.dispatch({ method: 'POST', path: options.path, headers: options.headers, body: options.body }, call);
    } catch (error) {
      call.onResponseError(null, error instanceof Error ? error : new Error(String(error)));
    }
    return result;
  }

  // --- undici's handler ------------------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted !== null) controller.abort(this.aborted);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational heads are not the answer.
    if (statusCode < 200 && statusCode >= 100) return;
    const opened = this.opened;
    this.opened = null;
    opened?.({ ok: true, call: this, status: statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.stopped) return;
    if (this.reader === null) {
      this.size += chunk.length;
      if (this.size > this.maxBytes) {
        controller.abort(new Error('upstream body too large'));
        return;
      }
      this.chunks.push(chunk);
      return;
    }
    const sink = this.sink;
    if (sink !== null) {
      this.timer?.refresh();
      const decoder = this.decoder!;
      const whole = this.reader.feed(decoder.decode(chunk));
      if (this.reader.overflowed) return this.cutOversizedFrame();
      // Transcoded events are never the bytes that came in.
      const raw = whole && decoder.exact && this.transcoder === null ? chunk : null;
      if (!this.stopped && !sink.readEnd(raw)) controller.pause();
      return;
    }
    this.reader.feed(this.decoder!.decode(chunk));
    if (this.reader.overflowed) return this.cutOversizedFrame();
    this.wake();
  }

  /** A frame that never ends is not read further: the exchange fails as a cut stream, saying why. */
  private cutOversizedFrame(): void {
    if (this.frameTooLarge) return;
    this.frameTooLarge = true;
    this.disarm();
    this.aborted = new Error(FRAME_TOO_LARGE_MESSAGE);
    this.controller?.abort(this.aborted);
    // undici reports the abort through onResponseError; fail now too, in case it already finished.
    this.onResponseError(null, this.aborted);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.detach();
    if (this.stopped) {
      this.disarm();
      return;
    }
    // An event without its closing blank line still counts at the end of the body.
    this.reader?.end();
    if (this.transcoder !== null && this.reader !== null)
      for (const data of this.transcoder.end()) if (!this.deliver(data, 0, data.length, false, -1)) break;
    this.wake();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.failure ??= error;
    this.disarm();
    this.detach();
    const opened = this.opened;
    if (opened !== null) {
      this.opened = null;
      opened(this.openFailure(error));
      return;
    }
    if (this.stopped) return;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  // --- the proxy loop's side ---------------------------------------------------------------------

  /** (Re)starts the watchdog; when it fires the request is aborted and `timedOut` says why. */
  arm(ms: number, kind: TimeoutKind): void {
    this.disarm();
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timedOut = kind;
        this.abort();
      },
      Math.max(0, ms),
    );
  }

  /** Cheaper than re-arming: pushes the same timeout out again. */
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
    if (this.aborted !== null || this.ended || this.failure !== null) return;
    this.aborted = new Error(this.timedOut === null ? 'aborted' : `${this.timedOut} timeout`);
    if (this.controller !== null) this.controller.abort(this.aborted);
    // Not started yet (queued for a socket): nothing was sent; the attempt fails now.
    else this.onResponseError(null, this.aborted);
  }

  /**
   * The proxy is finished with this call. A body still open (a backend that sent [DONE] but has
   * not ended its response yet) is read and dropped under the timer still armed, which cuts a
   * backend that never ends it; otherwise the timer is cleared.
   */
  done(): void {
    if (this.ended || this.failure !== null) {
      this.disarm();
      return;
    }
    this.halt();
  }

  /** Lets a paused relay read again (the client drained). */
  resume(): void {
    this.controller?.resume();
  }

  /** The whole body has arrived (it often comes with the head): nothing is left to wait for. */
  get complete(): boolean {
    return this.ended && this.failure === null;
  }

  /** Whole body (non-stream answers and error bodies), under the armed timer. Rejects on cut/timeout. */
  readAll(maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    this.maxBytes = maxBytes;
    if (this.size > maxBytes) {
      this.abort();
      return Promise.reject(new Error('upstream body too large'));
    }
    // A body already complete is handed over without a waiter (docs/benchmarks.md "The request's critical path").
    if (this.complete) return Promise.resolve(this.takeBody());
    return this.until(() => this.ended).then(() => this.takeBody());
  }

  private takeBody(): Buffer {
    this.disarm();
    const chunks = this.chunks;
    this.chunks = [];
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
  }

  /**
   * The next SSE `data` payload, or null at a clean end of the body. Throws when the stream is
   * cut, reset or aborted by the watchdog (then `timedOut` is set).
   */
  async nextEvent(): Promise<string | null> {
    const ready = this.pollEvent();
    if (ready !== undefined) return ready;
    // Nothing is buffered: wait for the next read (or the end, or the failure).
    this.events.length = 0;
    this.spans.length = 0;
    this.eventHead = 0;
    await this.until(() => this.events.length > 0 || this.ended);
    if (this.eventHead >= this.events.length) return null;
    const at = this.eventHead++;
    return this.events[at]!.slice(this.spans[3 * at], this.spans[3 * at + 1]);
  }

  /**
   * `nextEvent` when its answer is already known, with no promise: the next payload read, null at
   * a clean end of the body; undefined when it has to wait (or the exchange failed: `nextEvent`
   * then throws). The answer is usually in with the response head, so the commit loop awaits
   * nothing per event (docs/benchmarks.md "The routing core's CPU").
   */
  pollEvent(): string | null | undefined {
    this.startEvents();
    if (this.eventHead < this.events.length) {
      const at = this.eventHead++;
      return this.events[at]!.slice(this.spans[3 * at], this.spans[3 * at + 1]);
    }
    return this.ended && this.failure === null ? null : undefined;
  }

  /**
   * Push mode for the rest of a stream: every event already decoded, then each one as it arrives,
   * goes to `sink` synchronously. Resolves at the end of the body or when the sink stops; rejects
   * when the stream is cut, reset or aborted (client gone, watchdog: then `timedOut` is set). A
   * body already read to its end gives its answer at once, without a promise.
   */
  relay(sink: EventSink): RelayEnd | Promise<RelayEnd> {
    this.startEvents();
    for (; this.eventHead < this.events.length; this.eventHead++) {
      const at = this.eventHead;
      const start = this.spans[3 * at]!;
      const frameStart = this.spans[3 * at + 2]!;
      const framed = frameStart >= 0 && frameStart === start - 6;
      if (!sink.event(this.events[at]!, start, this.spans[3 * at + 1]!, framed, frameStart)) {
        this.eventHead++;
        return this.stop();
      }
    }
    this.events = [];
    this.spans = [];
    this.eventHead = 0;
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.ended) return 'end';
    this.sink = sink;
    if (!sink.readEnd(null)) this.controller?.pause();
    return this.until(() => this.ended || this.stopped).then(() => (this.stopped ? 'stopped' : 'end'));
  }

  private stop(): RelayEnd {
    this.halt();
    return 'stopped';
  }

  /**
   * No more events are wanted. The rest of the body is read and dropped so the socket can serve
   * again; a backend that never ends it is cut by the idle timer still armed.
   */
  private halt(): void {
    this.stopped = true;
    this.sink = null;
    this.controller?.resume();
    this.wake();
  }

  private startEvents(): void {
    if (this.reader !== null) return;
    const onEvent = (text: string, start: number, end: number, framed: boolean, frameStart: number): boolean =>
      this.onEvent(text, start, end, framed, frameStart);
    this.reader = this.framing === 'ndjson' ? new NdjsonReader(onEvent) : new SseReader(onEvent);
    const decoder = (this.decoder = createUtf8ChunkDecoder());
    const chunks = this.chunks;
    this.chunks = [];
    for (const chunk of chunks) this.reader.feed(decoder.decode(chunk));
    if (this.reader.overflowed) this.cutOversizedFrame();
  }

  private onEvent(text: string, start: number, end: number, framed: boolean, frameStart: number): boolean {
    if (this.transcoder === null) return this.deliver(text, start, end, framed, frameStart);
    for (const data of this.transcoder.push(text.slice(start, end)))
      if (!this.deliver(data, 0, data.length, false, -1)) return false;
    return !this.stopped;
  }

  private deliver(text: string, start: number, end: number, framed: boolean, frameStart: number): boolean {
    if (this.stopped) return false;
    const sink = this.sink;
    if (sink === null) {
      this.events.push(text);
      this.spans.push(start, end, frameStart);
      return true;
    }
    if (!sink.event(text, start, end, framed, frameStart)) {
      this.halt();
      return false;
    }
    return true;
  }

  /** Resolves once `ready()` holds (checked after each read and at the end); rejects when the exchange fails. */
  private until(ready: () => boolean): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiter = { ready, resolve, reject };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter !== null && waiter.ready()) {
      this.waiter = null;
      waiter.resolve();
    }
  }

  private detach(): void {
    if (this.unlisten !== null) {
      this.unlisten();
      this.unlisten = null;
    }
  }

  private openFailure(error: unknown): OpenResult {
    this.disarm();
    if (this.timedOut !== null)
      return {
        ok: false,
        error: 'timeout',
        timeout: this.timedOut,
        message: `no response headers (${this.timedOut} timeout)`,
      };
    const code = errorCode(error);
    // The endpoint policy refused the address (docs/security.md): nothing was sent, and retrying cannot help.
    if (code === ENDPOINT_FORBIDDEN)
      return {
        ok: false,
        error: 'forbidden',
        timeout: null,
        message: error instanceof Error ? error.message : 'refused by the endpoint policy',
      };
    const refused =
      code === 'ECONNREFUSED' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'ENOTFOUND' ||
      code === 'EHOSTUNREACH' ||
      code === 'EAI_AGAIN';
    return { ok: false, error: refused ? 'refused' : 'reset', timeout: null, message: code ?? 'connection failed' };
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
