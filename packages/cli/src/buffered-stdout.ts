import { EventEmitter } from 'node:events';
import { closeSync, writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/** Characters of log lines gathered before one write (about 40 request lines). */
export const LOG_BUFFER_BYTES = 16_384;
/** Longest a buffered line waits on a quiet node before it is written anyway. */
export const LOG_FLUSH_MS = 1000;
/** A full pipe (EAGAIN) is retried this often, for at most a second, before lines are given up. */
const FULL_PIPE_WAIT_MS = 10;
const FULL_PIPE_GIVE_UP_MS = 1000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * stdout for log lines, gathered in memory and written `LOG_BUFFER_BYTES` at a time with one
 * synchronous `write` (docs/decisions.md "Log lines leave in buffered writes"). Lines never wait
 * longer than `LOG_FLUSH_MS`, and what is left is written when the process exits, so a shutdown
 * loses none; a SIGKILL can lose the last second.
 *
 * Hand-written on a measured hot path, in place of pino's sonic-boom destination: sonic-boom
 * measures the byte length of its whole pending buffer on every line and encodes each chunk twice
 * (once to write it, once to find what is left). A request line to a file cost 6.05 µs through it
 * and costs 2.25 µs here, of which 1.30 µs is building the line (`test/bench/request-bookkeeping.bench.ts`,
 * docs/benchmarks.md "Where the time went"). Writing synchronously is what Node does for stdout on
 * Linux (files and pipes alike): a log reader that stops reading holds the process up, as it would
 * hold up `console.log`.
 */
export class BufferedStdout extends EventEmitter implements DestinationStream {
  #lines: string[] = [];
  #chars = 0;
  #open = true;
  readonly #timer: NodeJS.Timeout;
  readonly #onExit = (): void => this.flushSync();

  constructor(readonly fd = 1) {
    super();
    this.#timer = setInterval(() => this.flushSync(), LOG_FLUSH_MS);
    // The timer must not keep a process alive that is otherwise done.
    this.#timer.unref();
    process.once('exit', this.#onExit);
  }

  write(line: string): boolean {
    if (!this.#open) return false;
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= LOG_BUFFER_BYTES) this.flushSync();
    return true;
  }

  /** Writes every gathered line now. */
  flushSync(): void {
    if (this.#chars === 0) return;
    const bytes = Buffer.from(this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join(''), 'utf8');
    this.#lines = [];
    this.#chars = 0;
    let written = 0;
    let waited = 0;
    while (written < bytes.length) {
      try {
        written += writeSync(this.fd, bytes, written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && waited < FULL_PIPE_GIVE_UP_MS) {
          Atomics.wait(pause, 0, 0, FULL_PIPE_WAIT_MS);
          waited += FULL_PIPE_WAIT_MS;
          continue;
        }
        // stdout is gone (EPIPE, a closed file): logging must not take the node down with it.
        this.#stop();
        return;
      }
    }
  }

  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  /** Writes what is left and closes the file (never the process's own stdout or stderr). */
  end(): void {
    if (!this.#open) return;
    this.flushSync();
    this.#stop();
    if (this.fd > 2) closeSync(this.fd);
    this.emit('close');
  }

  #stop(): void {
    this.#open = false;
    this.#lines = [];
    this.#chars = 0;
    clearInterval(this.#timer);
    process.removeListener('exit', this.#onExit);
  }
}

export const bufferedStdout = (fd = 1): BufferedStdout => new BufferedStdout(fd);
