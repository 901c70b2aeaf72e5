import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '@aisbf/core';

/** Node request → fetch Request (yoga and tRPC's fetch adapter both speak fetch). */
export async function toFetchRequest(req: IncomingMessage, maxBodyBytes: number): Promise<Request> {
  const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
  const url = `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) throw new GatewayError('PAYLOAD_TOO_LARGE', `request body over ${maxBodyBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) throw new GatewayError('PAYLOAD_TOO_LARGE', `request body over ${maxBodyBytes} bytes`);
    chunks.push(buffer);
  }
  return new Request(url, { method, headers, body: Buffer.concat(chunks) });
}

/** fetch Response → Node response, keeping multiple Set-Cookie headers apart. */
export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  res.end(Buffer.from(await response.arrayBuffer()));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
