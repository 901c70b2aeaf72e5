import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

export interface PassThroughProxyOptions {
  /** Upstream OpenAI-compatible base URL, e.g. the mock's `http://127.0.0.1:<port>/v1`. */
  upstream: string;
  /** Sent upstream as `Authorization: Bearer …` instead of the client's header. */
  apiKey?: string;
  port?: number;
  /** Upstream connections; default unlimited (like a keep-alive pool that never queues). */
  connections?: number;
  /** Client headers sent on unchanged (e.g. `anthropic-version` for an Anthropic upstream). */
  forwardHeaders?: readonly string[];
}

export interface PassThroughProxy {
  /** `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

/**
 * The honest baseline for the benchmark (docs/benchmarks.md): the least a JSON-aware proxy must do. Reads the
 * body, parses and re-serialises it, forwards it with an undici pool and streams the answer back.
 * No auth, routing, retries or accounting: whatever aisbf costs beyond this is its own overhead.
 *
 * Lean on purpose, so that it does not flatter aisbf: the answer is relayed with `pipe`, and a client
 * that leaves early destroys undici's body (which aborts the upstream request). An earlier version
 * used `stream/promises` `pipeline`, an AbortController per request and an early `flushHeaders()`:
 * the pipeline aborts an AbortController of its own when it finishes, building a DOMException with
 * a stack trace per request, and the early flush costs a socket write of its own; bundled, that
 * version spent ~160-200 µs of CPU per request where this one spends ~105-120 µs
 * (docs/benchmarks.md "The baseline").
 */
export async function startPassThroughProxy(options: PassThroughProxyOptions): Promise<PassThroughProxy> {
  const base = new URL(options.upstream);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, {
    connections: options.connections ?? null,
    keepAliveTimeout: 60_000,
    pipelining: 1,
  });
  const authorization = options.apiKey !== undefined ? `Bearer ${options.apiKey}` : undefined;

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let payload: string | undefined;
    if (chunks.length > 0) {
      try {
        payload = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"bad JSON","type":"invalid_request_error","code":null,"param":null}}');
        return;
      }
    }
    const path = basePath + (req.url ?? '/').replace(/^\/v1/, '');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers['authorization'] = authorization;
    for (const name of options.forwardHeaders ?? []) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await pool.request({
      method: req.method === 'GET' ? 'GET' : 'POST',
      path,
      headers,
      body: payload ?? null,
    });
    const body = upstream.body;
    // Destroying undici's body (below) emits its abort as an error: every error ends the response.
    body.on('error', () => res.destroy());
    // The client left while the upstream was answering: nothing to relay to.
    if (res.destroyed) {
      body.destroy();
      return;
    }
    const contentType = upstream.headers['content-type'];
    res.writeHead(upstream.statusCode, typeof contentType === 'string' ? { 'content-type': contentType } : {});
    res.once('close', () => {
      if (!res.writableFinished) body.destroy();
    });
    body.pipe(res);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    forward(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"upstream failed","type":"upstream_error","code":null,"param":null}}');
      } else res.destroy();
    });
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    handle,
    close: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      await pool.destroy();
    },
  };
}
