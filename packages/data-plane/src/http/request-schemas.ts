import { z } from 'zod';

/**
 * The minimum each endpoint needs to route a request. Everything else the client sent is kept
 * (loose) and forwarded unchanged: aisbf never drops `top_p`, `stop`, `seed`, `response_format`, …
 */
const model = z.string({ error: 'model is required (a route name; GET /models lists them)' }).min(1, 'model must not be empty');
const stream = z.boolean({ error: 'stream must be a boolean' }).optional();

export const chatRequestSchema = z
  .object({
    model,
    messages: z
      .array(z.object({ role: z.string({ error: 'each message needs a role' }) }).loose(), { error: 'messages is required (an array of messages)' })
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
