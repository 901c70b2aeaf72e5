import { GatewayError } from '@aisbf/core';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

async function fileAt(path: string): Promise<number | null> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}

/**
 * The dashboard's static build with an SPA fallback to index.html (client-side routes). Paths are
 * resolved inside `root` only; `..` cannot escape it.
 */
export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const base = resolve(root);
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    // `GET /%`: the client's mistake, answered as such (the app's error hook maps it to 400, unlogged).
    throw new GatewayError('BAD_REQUEST', 'the path has a malformed percent-encoding');
  }
  const candidate = normalize(join(base, pathname));
  const inside = candidate === base || candidate.startsWith(base + sep);
  let file = inside && !pathname.endsWith('/') ? candidate : null;
  let size = file === null ? null : await fileAt(file);
  if (size === null && inside) {
    const html = join(candidate, 'index.html');
    size = await fileAt(html);
    if (size !== null) file = html;
  }
  if (size === null || file === null) {
    file = join(base, 'index.html');
    size = await fileAt(file);
  }
  if (size === null) {
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":{"message":"not found","type":"not_found"}}');
    return;
  }
  const immutable = pathname.includes('/_app/immutable/');
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
