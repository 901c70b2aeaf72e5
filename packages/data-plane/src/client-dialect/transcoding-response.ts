import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { safeJsonParse } from '@aisbf/core';
import type { ChatChunk, ChatCompletion, ChatError, ClientErrorReply, ClientStreamEncoder } from '@aisbf/dialects';

/** One request's client-side codec: a client dialect with its per-request context bound. */
export interface ClientCodec {
  /** A canonical (OpenAI Chat) whole answer → the client's body. */
  fromCanonical(completion: ChatCompletion): unknown;
  createStreamEncoder(): ClientStreamEncoder;
  formatError(status: number, error: ChatError): ClientErrorReply;
  /**
   * Runs before the answer's last bytes leave, once it ended well (a stored Responses answer must
   * be findable by the time the client reads its end). Its failure never withholds the answer.
   */
  beforeEnd?(): Promise<void>;
}

type Mode =
  { kind: 'idle' } | { kind: 'whole'; status: number; headers: OutgoingHttpHeaders; parts: Buffer[] } | StreamMode;

interface StreamMode {
  kind: 'stream';
  encoder: ClientStreamEncoder;
  /** Canonical SSE text not yet split into events. */
  pending: string;
  ended: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The client-dialect hook of the data plane: a view of `res` on which the proxy writes its
 * canonical (OpenAI Chat) answer, JSON or SSE, exactly as it would for a chat client, while the
 * client receives its own dialect. Everything but `writeHead`/`write`/`end` is the real response
 * (`destroyed`, `headersSent`, `on('drain')`, …), so backpressure, disconnects and the retry
 * discipline work unchanged. Whole answers are held until `end` (their length changes); streams
 * are transcoded event by event. Errors in canonical shape become the client's own.
 */
export function transcodingResponse(
  res: ServerResponse,
  codec: ClientCodec,
  onHookError: (error: unknown) => void,
): ServerResponse {
  let mode: Mode = { kind: 'idle' };

  const finish = (last: () => void, ok: boolean): void => {
    if (!ok || codec.beforeEnd === undefined) return last();
    codec.beforeEnd().then(last, (error: unknown) => {
      onHookError(error);
      last();
    });
  };

  const writeHead = (status: number, ...rest: unknown[]): ServerResponse => {
    const headers = (rest.find(isRecord) ?? {}) as OutgoingHttpHeaders;
    const type = String(headers['content-type'] ?? '');
    if (status === 200 && type.startsWith('text/event-stream')) {
      const { 'content-length': _length, ...streamHeaders } = headers;
      res.writeHead(status, streamHeaders);
      mode = { kind: 'stream', encoder: codec.createStreamEncoder(), pending: '', ended: false };
    } else mode = { kind: 'whole', status, headers, parts: [] };
    return res;
  };

  /** Canonical SSE in, the client's events out (complete `\n\n`-ended events only). */
  const transcode = (m: StreamMode, data: unknown): string => {
    if (data !== undefined && data !== null) m.pending += typeof data === 'string' ? data : String(data);
    let out = '';
    for (let cut = m.pending.indexOf('\n\n'); cut >= 0; cut = m.pending.indexOf('\n\n')) {
      const block = m.pending.slice(0, cut);
      m.pending = m.pending.slice(cut + 2);
      if (m.ended) continue;
      const payload = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (payload === '') continue;
      if (payload === '[DONE]') {
        m.ended = true;
        out += m.encoder.done();
        continue;
      }
      const parsed = safeJsonParse(payload);
      if (!parsed.ok || !isRecord(parsed.value)) continue;
      if (isRecord(parsed.value['error'])) {
        m.ended = true;
        out += m.encoder.error(chatError(parsed.value['error']));
        continue;
      }
      out += m.encoder.chunk(parsed.value as unknown as ChatChunk);
    }
    return out;
  };

  const write = (data: unknown, ...rest: unknown[]): boolean => {
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (mode.kind === 'whole') {
      mode.parts.push(Buffer.isBuffer(data) ? data : Buffer.from(String(data)));
      callback?.();
      return true;
    }
    if (mode.kind !== 'stream') return res.write(data as string, callback);
    const out = transcode(mode, Buffer.isBuffer(data) ? data.toString('utf8') : data);
    if (out === '') {
      callback?.();
      return true;
    }
    return res.write(out, callback);
  };

  const end = (...args: unknown[]): ServerResponse => {
    const data = typeof args[0] === 'function' ? undefined : args[0];
    const m = mode;
    if (m.kind === 'stream') {
      const out = transcode(m, Buffer.isBuffer(data) ? data.toString('utf8') : data);
      finish(() => res.end(out), m.ended);
      return res;
    }
    if (m.kind !== 'whole') {
      res.end(data as string | undefined);
      return res;
    }
    if (data !== undefined && data !== null) m.parts.push(Buffer.isBuffer(data) ? data : Buffer.from(String(data)));
    const text = Buffer.concat(m.parts).toString('utf8');
    const reply = wholeReply(codec, m.status, text);
    const headers = {
      ...m.headers,
      'content-type': reply.contentType,
      'content-length': Buffer.byteLength(reply.body),
    };
    finish(() => {
      res.writeHead(reply.status, headers);
      res.end(reply.body);
    }, reply.status < 300);
    return res;
  };

  return new Proxy(res, {
    get(target, prop) {
      if (prop === 'writeHead') return writeHead;
      if (prop === 'write') return write;
      if (prop === 'end') return end;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A whole canonical answer or error → the client's reply. */
function wholeReply(codec: ClientCodec, status: number, text: string): ClientErrorReply {
  const parsed = safeJsonParse(text);
  const value = parsed.ok && isRecord(parsed.value) ? parsed.value : null;
  if (status >= 200 && status < 300 && value !== null && Array.isArray(value['choices']))
    return {
      status,
      contentType: 'application/json',
      body: JSON.stringify(codec.fromCanonical(value as unknown as ChatCompletion)),
    };
  if (value !== null && isRecord(value['error']))
    return codec.formatError(status < 400 ? 502 : status, chatError(value['error']));
  // A backend's answer that is neither (an HTML error page, a body that is not JSON): said as an error.
  return codec.formatError(status < 400 ? 502 : status, {
    message: `The backend answered HTTP ${status} with a body that is not an OpenAI answer.`,
    type: 'upstream_error',
    code: 'upstream_error',
    param: null,
  });
}

function chatError(raw: Record<string, unknown>): ChatError {
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    message: str(raw['message']) ?? 'upstream error',
    type: str(raw['type']) ?? 'upstream_error',
    code: str(raw['code']),
    param: str(raw['param']),
  };
}
