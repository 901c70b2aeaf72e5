import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isRecord } from './mock-answer';
import { parseMockFault, type MockFault, type RecordedRequest } from './mock-fault';
import { openAiError, respond, sendJson, type MockEndpoint } from './mock-responder';

export interface MockUpstreamOptions {
  /** Model ids served; other models get 404 `model_not_found`. Default `['m1']`. */
  models?: string[];
  /** Words in a whole answer (`w1 … wN`). Default 60. */
  words?: number;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Pause between stream chunks of normal answers. Default 0 (as fast as possible). */
  chunkDelayMs?: number;
  /** Largest request body accepted (bytes). Default 16 MiB. */
  maxBodyBytes?: number;
}

export interface MockUpstream {
  /** OpenAI-compatible base URL, `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order (live array). */
  readonly requests: RecordedRequest[];
  /**
   * Faults consumed one per matching request (FIFO), then back to the default. GET /models takes
   * only unscoped `status`, `rate-limit`, `hang`, `reset` and `delay` faults.
   */
  enqueue(...faults: MockFault[]): void;
  /** Behaviour when no queued fault matches; a fault with `model` sets that model's default only. */
  setDefault(fault: MockFault): void;
  /** Queued faults not consumed yet. */
  pending(): number;
  /** Clears queue, defaults, recorded requests and the request counter. */
  reset(): void;
  /** Resolves when `predicate(requests)` holds (checked on every request change), rejects after `timeoutMs`. */
  waitFor(predicate: (requests: readonly RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const OK: MockFault = { kind: 'ok' };

const ENDPOINTS: Record<string, { method: string; endpoint: MockEndpoint }> = {
  '/v1/models': { method: 'GET', endpoint: 'models' },
  '/v1/chat/completions': { method: 'POST', endpoint: 'chat' },
  '/v1/completions': { method: 'POST', endpoint: 'completions' },
  '/v1/embeddings': { method: 'POST', endpoint: 'embeddings' },
};

/**
 * An OpenAI-compatible upstream with scripted faults, for the data plane's tests and benchmarks
 * (docs/data-plane.md, docs/reliability.md). Deterministic: the same request and fault give the same bytes.
 */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const models = options.models ?? ['m1'];
  const words = options.words ?? 60;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const requests: RecordedRequest[] = [];
  const queue: MockFault[] = [];
  const defaults = new Map<string, MockFault>();
  const sockets = new Set<Socket>();
  const timers = new Map<NodeJS.Timeout, (fired: boolean) => void>();
  const watchers = new Set<() => void>();
  let counter = 0;
  let closed = false;

  const changed = (): void => {
    for (const watcher of [...watchers]) watcher();
  };

  // GET /models (discovery, health probes) only takes faults that mean something for it, so a probe
  // never swallows a queued stream fault meant for a completion.
  const MODELS_FAULTS = new Set<MockFault['kind']>(['status', 'rate-limit', 'hang', 'reset', 'delay']);
  const pickFault = (model: string | undefined): MockFault => {
    const index = queue.findIndex((f) =>
      model === undefined
        ? f.model === undefined && MODELS_FAULTS.has(f.kind)
        : f.model === undefined || f.model === model,
    );
    if (index >= 0) return queue.splice(index, 1)[0] ?? OK;
    const fallback = (model !== undefined ? defaults.get(`model:${model}`) : undefined) ?? defaults.get('*') ?? OK;
    return model === undefined && !MODELS_FAULTS.has(fallback.kind) ? OK : fallback;
  };

  const wait = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (closed || res.destroyed) return resolve(false);
      const done = (fired: boolean): void => {
        clearTimeout(timer);
        timers.delete(timer);
        res.off('close', onClose);
        resolve(fired);
      };
      const onClose = (): void => done(false);
      const timer = setTimeout(() => done(true), ms);
      timers.set(timer, done);
      res.once('close', onClose);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url ?? '/';
    const raw = await readBody(req, maxBodyBytes);
    if (path.startsWith('/__mock/')) return control(path, raw, res);

    const route = ENDPOINTS[path.split('?')[0] ?? ''];
    counter += 1;
    const body = typeof raw === 'string' ? safeJson(raw) : null;
    const record: RecordedRequest = {
      n: counter,
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      body,
      at: Date.now(),
      aborted: false,
      fault: OK,
      chunksSent: 0,
      endedAt: null,
    };
    requests.push(record);
    let cutByMock = false;
    res.on('close', () => {
      if (!res.writableFinished && !cutByMock && !closed) record.aborted = true;
      record.endedAt = Date.now();
      changed();
    });
    res.setHeader('x-mock-request', String(record.n));
    changed();

    if (raw === undefined)
      return sendJson(res, 413, openAiError('request body too large', 'invalid_request_error', 'request_too_large'));
    if (!route || route.method !== req.method)
      return sendJson(res, 404, openAiError(`no route ${req.method} ${path}`, 'invalid_request_error', 'not_found'));
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(
        res,
        401,
        openAiError('Incorrect API key provided (mock).', 'invalid_request_error', 'invalid_api_key'),
      );
    }
    let model = '';
    if (route.endpoint !== 'models') {
      if (!isRecord(body))
        return sendJson(res, 400, openAiError('body must be a JSON object', 'invalid_request_error', 'invalid_json'));
      const m = body['model'];
      if (typeof m !== 'string')
        return sendJson(
          res,
          400,
          openAiError('you must provide a model parameter', 'invalid_request_error', null, 'model'),
        );
      if (!models.includes(m))
        return sendJson(
          res,
          404,
          openAiError(`The model \`${m}\` does not exist (mock).`, 'invalid_request_error', 'model_not_found', 'model'),
        );
      model = m;
    }
    const fault = pickFault(route.endpoint === 'models' ? undefined : model);
    record.fault = fault;
    await respond(
      {
        req,
        res,
        record,
        endpoint: route.endpoint,
        body,
        model,
        models,
        words,
        chunkDelayMs: options.chunkDelayMs ?? 0,
        wait: (ms) => wait(ms, res),
        cutSocket: (reset) => {
          cutByMock = true;
          const socket = req.socket;
          if (reset && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
          else socket.destroy();
        },
      },
      fault,
    );
  };

  // Process mode: tests in another process script the mock through these (never counted or recorded).
  const control = (path: string, raw: string | null | undefined, res: ServerResponse): void => {
    const body = raw ? safeJson(raw) : null;
    if (path === '/__mock/requests') return sendJson(res, 200, requests);
    if (path === '/__mock/reset') {
      api.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/__mock/enqueue' || path === '/__mock/default') {
      const list = Array.isArray(body) ? body : [body];
      const faults = list.map(parseMockFault);
      if (faults.some((f) => f === null))
        return sendJson(res, 400, openAiError('bad fault', 'invalid_request_error', null));
      const valid = faults as MockFault[];
      if (path === '/__mock/enqueue') api.enqueue(...valid);
      else for (const f of valid) api.setDefault(f);
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, openAiError('unknown control path', 'invalid_request_error', null));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, openAiError('mock upstream bug', 'server_error', null));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const api: MockUpstream = {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    requests,
    enqueue: (...faults) => {
      queue.push(...faults);
    },
    setDefault: (fault) => {
      defaults.set(fault.model === undefined ? '*' : `model:${fault.model}`, fault);
    },
    pending: () => queue.length,
    reset: () => {
      queue.length = 0;
      defaults.clear();
      requests.length = 0;
      counter = 0;
    },
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate(requests)) return resolve();
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(`mock upstream: condition not met within ${timeoutMs} ms (${requests.length} requests seen)`),
          );
        }, timeoutMs);
        const check = (): void => {
          if (!predicate(requests)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const [, done] of [...timers]) done(false);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
  return api;
}

/** The body as text; null when empty; undefined when over the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<string | null | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : size === 0 ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
    req.on('close', () =>
      resolve(over ? undefined : chunks.length === 0 ? null : Buffer.concat(chunks).toString('utf8')),
    );
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
