import type { GatewayError } from '@aisbf/core';
import type { ZodType } from 'zod';
import type { ProxyEndpoint } from '../proxy/proxy-call';
import { badRequest } from './openai-error';
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
  passesRequestSchema,
} from './request-schemas';

const ENDPOINT_SCHEMAS: Readonly<Record<ProxyEndpoint, ZodType<Record<string, unknown>>>> = {
  'chat.completions': chatRequestSchema,
  completions: completionRequestSchema,
  embeddings: embeddingRequestSchema,
};

/** Null when the body is a valid request to `endpoint`, else the 400 naming the first problem. */
export function validateRequestBody(endpoint: ProxyEndpoint, body: unknown): GatewayError | null {
  // The fast check passes every ordinary body; zod words the error for the rest.
  if (passesRequestSchema(endpoint, body)) return null;
  const validated = ENDPOINT_SCHEMAS[endpoint].safeParse(body);
  if (validated.success) return null;
  const issue = validated.error.issues[0];
  const param = issue === undefined || issue.path.length === 0 ? undefined : issue.path.join('.');
  return badRequest(
    typeof body !== 'object' || body === null || Array.isArray(body)
      ? 'The request body must be a JSON object.'
      : (issue?.message ?? 'Invalid request.'),
    param,
  );
}
