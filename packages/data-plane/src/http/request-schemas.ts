import { z } from 'zod';

/**
 * The minimum each endpoint needs to route a request. Everything else the client sent is kept
 * (loose) and forwarded unchanged: aisbf never drops `top_p`, `stop`, `seed`, `response_format`, …
 */
const model = z
  .string({ error: 'model is required (a route name; GET /models lists them)' })
  .min(1, 'model must not be empty');
const stream = z.boolean({ error: 'stream must be a boolean' }).optional();

export const chatRequestSchema = z
  .object({
    model,
    messages: z
      .array(z.object({ role: z.string({ error: 'each message needs a role' }) }).loose(), {
        error: 'messages is required (an array of messages)',
      })
      .min(1, 'messages must not be empty'),
    stream,
  })
  .loose();

export const completionRequestSchema = z
  .object({
    model,
    prompt: z.union([z.string(), z.array(z.unknown())], { error: 'prompt is required (a string or an array)' }),
    stream,
  })
  .loose();

export const embeddingRequestSchema = z
  .object({
    model,
    input: z.union([z.string(), z.array(z.unknown())], { error: 'input is required (a string or an array)' }),
  })
  .loose();

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRouteName = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isStreamFlag = (v: unknown): boolean => v === undefined || typeof v === 'boolean';
const isPromptLike = (v: unknown): boolean => typeof v === 'string' || Array.isArray(v);

/**
 * The shapes the schemas above accept, checked by hand for the common case (about 10 µs of zod per
 * request otherwise, the hot path, docs/data-plane.md). A body passing this check passes its schema (a
 * fast-check property holds both to it); anything else goes through zod, which also words the error.
 */
export function passesRequestSchema(
  endpoint: 'chat.completions' | 'completions' | 'embeddings',
  body: unknown,
): body is Record<string, unknown> {
  if (!isObject(body) || !isRouteName(body['model'])) return false;
  switch (endpoint) {
    case 'chat.completions': {
      const messages = body['messages'];
      if (!isStreamFlag(body['stream']) || !Array.isArray(messages) || messages.length === 0) return false;
      for (const m of messages) if (!isObject(m) || typeof m['role'] !== 'string') return false;
      return true;
    }
    case 'completions':
      return isStreamFlag(body['stream']) && isPromptLike(body['prompt']);
    case 'embeddings':
      return isPromptLike(body['input']);
  }
}
