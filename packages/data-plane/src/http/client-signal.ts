import type { ServerResponse } from 'node:http';

/**
 * "The client went away" for one request: what the proxy loop needs of an AbortSignal (`aborted`,
 * one-shot listeners) without an EventTarget per request. `new AbortController()` and its
 * listeners were ~3.5 % of the gateway's CPU under load (docs/benchmarks.md).
 */
export interface ClientSignal {
  readonly aborted: boolean;
  /** Calls `listener` once when the client goes away; returns what undoes the subscription. */
  onAbort(listener: () => void): () => void;
}

const noop = (): void => undefined;

class Signal implements ClientSignal {
  aborted = false;
  private listeners: Array<() => void> | null = null;

  onAbort(listener: () => void): () => void {
    if (this.aborted) {
      listener();
      return noop;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const at = this.listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.listeners!.splice(at, 1);
    };
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
  }
}

/** Aborted when the response closes before it finished (the client disconnected). */
export function clientSignalOf(res: ServerResponse): ClientSignal {
  const signal = new Signal();
  res.once('close', () => {
    if (!res.writableFinished) signal.abort();
  });
  return signal;
}

/** An AbortSignal seen as a ClientSignal (the autoselector's selection calls carry one). */
export function clientSignalFrom(source: AbortSignal): ClientSignal {
  const signal = new Signal();
  if (source.aborted) signal.abort();
  else source.addEventListener('abort', () => signal.abort(), { once: true });
  return signal;
}

/** A signal that never fires (internal calls no client waits on). */
export const NEVER_ABORTED: ClientSignal = { aborted: false, onAbort: () => noop };
