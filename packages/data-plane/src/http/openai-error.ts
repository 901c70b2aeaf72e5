import type { ServerResponse } from 'node:http';
import { GatewayError, type ErrorCode } from '@aisbf/core';

/** OpenAI error `type` per gateway code: the one mapping table of the data-plane edge (docs/conventions.md "Errors"). */
const ERROR_TYPE: Readonly<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'invalid_request_error',
  UNAUTHENTICATED: 'authentication_error',
  FORBIDDEN: 'permission_error',
  NOT_FOUND: 'invalid_request_error',
  METHOD_NOT_ALLOWED: 'invalid_request_error',
  CONFLICT: 'invalid_request_error',
  PAYLOAD_TOO_LARGE: 'invalid_request_error',
  RATE_LIMITED: 'rate_limit_error',
  BUDGET_EXCEEDED: 'insufficient_quota',
  UPSTREAM_TIMEOUT: 'upstream_error',
  UPSTREAM_ERROR: 'upstream_error',
  NO_HEALTHY_TARGET: 'upstream_error',
  UNAVAILABLE: 'server_error',
  LOOP_DETECTED: 'invalid_request_error',
  INTERNAL: 'server_error',
};

const DEFAULT_WIRE_CODE: Readonly<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'invalid_request',
  UNAUTHENTICATED: 'invalid_api_key',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  METHOD_NOT_ALLOWED: 'method_not_allowed',
  CONFLICT: 'conflict',
  PAYLOAD_TOO_LARGE: 'request_too_large',
  RATE_LIMITED: 'rate_limit_exceeded',
  BUDGET_EXCEEDED: 'budget_exceeded',
  UPSTREAM_TIMEOUT: 'upstream_timeout',
  UPSTREAM_ERROR: 'upstream_error',
  NO_HEALTHY_TARGET: 'no_healthy_target',
  UNAVAILABLE: 'unavailable',
  LOOP_DETECTED: 'loop_detected',
  INTERNAL: 'internal_error',
};

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

export function openAiErrorBody(error: GatewayError): OpenAiErrorBody {
  return {
    error: {
      message: error.message,
      type: ERROR_TYPE[error.code],
      code: error.wireCode ?? DEFAULT_WIRE_CODE[error.code],
      param: error.path ?? null,
    },
  };
}

/** Writes the error in OpenAI shape; never HTML, never a stack (docs/architecture.md "Data plane API"). */
export function sendError(res: ServerResponse, error: GatewayError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(openAiErrorBody(error));
  const out: Record<string, string | number> = {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (error.retryAfterS !== undefined) out['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterS)));
  res.writeHead(error.status, out);
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export const badRequest = (message: string, param?: string, wireCode = 'invalid_request'): GatewayError =>
  new GatewayError('BAD_REQUEST', message, param === undefined ? { wireCode } : { wireCode, path: param });
