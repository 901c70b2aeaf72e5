import { formatPath, GatewayError, type ErrorCode } from '@aisbf/core';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Actor } from '../services/actor';
import type { Services } from '../services/create-services';
import { ValidationError } from '../services/validation-error';

export interface TrpcContext {
  actor: Actor | null;
  services: Services;
  /** Sets (or clears, with null) the session cookie on the response. */
  setSessionCookie: (sessionId: string | null) => void;
  clientIp?: string;
}

type TrpcCode = TRPCError['code'];

/** The tRPC edge's one mapping table (docs/conventions.md "Errors"). */
const CODE: Partial<Record<ErrorCode, TrpcCode>> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UPSTREAM_ERROR: 'BAD_GATEWAY',
  UPSTREAM_TIMEOUT: 'GATEWAY_TIMEOUT',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

export interface IssueData {
  issues?: Array<{ path: string; message: string }>;
  fieldPath?: string;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const extra: IssueData = {};
    if (cause instanceof ValidationError) extra.issues = cause.issues;
    else if (cause instanceof ZodError)
      extra.issues = cause.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    if (cause instanceof GatewayError && cause.path !== undefined) extra.fieldPath = cause.path;
    const { stack: _stack, ...data } = shape.data;
    // Only GatewayErrors and input errors speak; anything else is masked.
    const known = cause instanceof GatewayError || cause instanceof ZodError || error.code !== 'INTERNAL_SERVER_ERROR';
    return { ...shape, message: known ? shape.message : 'Internal server error', data: { ...data, ...extra } };
  },
});

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof GatewayError) {
    const cause = result.error.cause;
    return {
      ...result,
      error: new TRPCError({
        code: CODE[cause.code] ?? 'INTERNAL_SERVER_ERROR',
        message: cause.code === 'INTERNAL' ? 'Internal server error' : cause.message,
        cause,
      }),
    };
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.actor === null)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'log in or send Authorization: Bearer <api token>' });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});
