/**
 * One error model for the whole gateway (docs/conventions.md "Errors"). Each edge maps `code` to its own
 * wire shape (OpenAI JSON on the data plane, tRPC codes, GraphQL extensions); routing reads
 * `retryable` and `phase` of UpstreamError, never message text.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_ERROR',
  'NO_HEALTHY_TARGET',
  'UNAVAILABLE',
  'LOOP_DETECTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status for each code; the data plane and the control plane's HTTP edges share it. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_ERROR: 502,
  NO_HEALTHY_TARGET: 503,
  UNAVAILABLE: 503,
  /** RFC 5842: a request that came back through gateways too often (docs/architecture.md "Data plane API"). */
  LOOP_DETECTED: 508,
  INTERNAL: 500,
};

export interface GatewayErrorOptions {
  /** Path of the offending field, e.g. `rotations.coding-production.providers[0].weight`. */
  path?: string;
  /** OpenAI-style machine code (`context_length_exceeded`, `model_not_found`, …). */
  wireCode?: string;
  /** Seconds after which a retry may succeed (429/503). */
  retryAfterS?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly wireCode: string | undefined;
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.wireCode = options.wireCode;
    this.retryAfterS = options.retryAfterS;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export type UpstreamPhase = 'connect' | 'headers' | 'first-token' | 'body';

export interface UpstreamErrorOptions extends GatewayErrorOptions {
  /** `providerId/model` that failed. */
  target: string;
  /** HTTP status the upstream answered, if it answered. */
  upstreamStatus?: number;
  retryable: boolean;
  phase: UpstreamPhase;
}

export class UpstreamError extends GatewayError {
  override readonly name = 'UpstreamError';
  readonly target: string;
  readonly upstreamStatus: number | undefined;
  readonly retryable: boolean;
  readonly phase: UpstreamPhase;

  constructor(code: 'UPSTREAM_ERROR' | 'UPSTREAM_TIMEOUT', message: string, options: UpstreamErrorOptions) {
    super(code, message, options);
    this.target = options.target;
    this.upstreamStatus = options.upstreamStatus;
    this.retryable = options.retryable;
    this.phase = options.phase;
  }
}

export const isGatewayError = (value: unknown): value is GatewayError => value instanceof GatewayError;
