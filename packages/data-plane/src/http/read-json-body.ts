import type { IncomingMessage } from 'node:http';
import { GatewayError, err, ok, safeJsonParse, type Result } from '@aisbf/core';
import { badRequest } from './openai-error';

export interface BodyLimits {
  /** Largest request body accepted, in bytes (docs/data-plane.md: default 10 MiB). */
  maxBodyBytes: number;
  /** Deepest JSON nesting accepted; protects every later walk of the body. */
  maxJsonDepth: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBodyBytes: 10 * 1024 * 1024, maxJsonDepth: 64 };

/** A parsed request body and its size on the wire. */
export interface JsonBody {
  json: unknown;
  /** The body's length in bytes: what a budget estimates a prompt from without serialising it again. */
  bytes: number;
}

/** Reads and parses a JSON request body; every failure is a typed 4xx. */
export function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<Result<JsonBody, GatewayError>> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
      req.resume();
      resolve(err(tooLarge(limits)));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        settled = true;
        chunks.length = 0;
        resolve(err(tooLarge(limits)));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (size === 0) return resolve(err(badRequest('The request body is empty; expected a JSON object.')));
      if (jsonDepthExceeds(buf, limits.maxJsonDepth))
        return resolve(err(badRequest(`The request body nests deeper than ${limits.maxJsonDepth} levels.`)));
      const parsed = safeJsonParse(buf.toString('utf8'));
      if (!parsed.ok)
        return resolve(
          err(badRequest(`The request body is not valid JSON: ${parsed.error}`, undefined, 'invalid_json')),
        );
      resolve(ok({ json: parsed.value, bytes: size }));
    });
    const broken = (): void => {
      if (settled) return;
      settled = true;
      resolve(
        err(
          badRequest('The request body could not be read (the client went away).', undefined, 'client_closed_request'),
        ),
      );
    };
    req.on('error', broken);
    // A client that leaves mid-upload emits 'close' without 'end': never leave the request pending.
    req.on('close', broken);
  });
}

const tooLarge = (limits: BodyLimits): GatewayError =>
  new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limits.maxBodyBytes} bytes.`, {
    wireCode: 'request_too_large',
  });

/** One pass over the raw bytes, skipping strings, so a hostile body never reaches a recursive walk. */
export function jsonDepthExceeds(buf: Buffer, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
