import type { ServerResponse } from 'node:http';

/**
 * What one upstream read sends to the client, written in one `write` (one chunk, one syscall):
 * `out`, plus the current run of events relayed unchanged, kept as offsets into the read's text
 * (`runText[runStart, runEnd)`) and sliced only when something else follows or the read ends.
 * A read whose events all passed unchanged leaves as the very bytes that came in.
 */
export class SseBatch {
  private out = '';
  private runText = '';
  private runStart = 0;
  private runEnd = 0;
  /** Something in this read was dropped or rewritten: its raw bytes cannot be sent as they are. */
  private changed = false;

  constructor(private readonly res: ServerResponse) {}

  /** Relays `text.slice(start, end)` unchanged; `framed`: it came as exactly `data: …\n\n` (SseReader). */
  keep(text: string, start: number, end: number, framed: boolean): void {
    if (!framed) this.append(text.slice(start, end));
    else this.keepFrame(text, start - 6, end + 2);
  }

  /** Relays the whole frames `text.slice(from, to)` as the upstream sent them. */
  keepFrame(text: string, from: number, to: number): void {
    if (this.runEnd === from && this.runText === text) this.runEnd = to;
    else {
      this.closeRun();
      this.runText = text;
      this.runStart = from;
      this.runEnd = to;
    }
  }

  /** One event's payload, as `data: …\n\n`, in place of what the upstream sent. */
  append(line: string): void {
    this.appendFrame(`data: ${line}\n\n`);
  }

  /** One event, framed by the caller, in place of what the upstream sent. */
  appendFrame(frame: string): void {
    this.closeRun();
    this.changed = true;
    this.out += frame;
  }

  /** An upstream event the client does not get. */
  drop(): void {
    this.changed = true;
  }

  closeRun(): void {
    if (this.runEnd > this.runStart) this.out += this.runText.slice(this.runStart, this.runEnd);
    this.runStart = this.runEnd = 0;
  }

  /** Writes what is batched; resolves when the socket can take more (undefined: it can now). */
  flush(): Promise<void> | undefined {
    this.closeRun();
    this.changed = false;
    if (this.out === '') return undefined;
    const ok = this.res.write(this.out);
    this.out = '';
    return ok ? undefined : drained(this.res);
  }

  /** After one upstream read: its bytes as they came when nothing in it changed, else the batch. */
  readEnd(raw: Buffer | null, resume: () => void): boolean {
    let ok = true;
    if (
      raw !== null &&
      !this.changed &&
      this.out === '' &&
      this.runStart === 0 &&
      this.runEnd === this.runText.length &&
      this.runEnd > 0
    ) {
      this.runStart = this.runEnd = 0;
      ok = this.res.write(raw);
    } else {
      this.closeRun();
      if (this.out !== '') ok = this.res.write(this.out);
      this.out = '';
    }
    this.changed = false;
    if (!ok) this.res.once('drain', resume);
    return ok;
  }

  /** Ends the response with what is batched, then `tail`. */
  end(tail: string): void {
    this.closeRun();
    this.res.end(this.out + tail);
    this.out = '';
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
