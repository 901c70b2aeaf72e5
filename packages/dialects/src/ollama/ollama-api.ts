import { z } from 'zod';

/**
 * Ollama's native API wire types (https://github.com/ollama/ollama/blob/main/docs/api.md):
 * requests as TypeScript (aisbf builds them), answers as zod (read untrusted, unknown fields kept).
 */
export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64 images (no URLs: Ollama does not fetch). */
  images?: string[];
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  /** On a `tool` message: the function whose result this is. */
  tool_name?: string;
}

export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  num_predict?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  /** Ollama streams unless told otherwise: always sent. */
  stream: boolean;
  tools?: Array<{
    type: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }>;
  format?: 'json' | Record<string, unknown>;
  options?: OllamaOptions;
}

const count = z.number().int().nonnegative().optional();

/** One `/api/chat` answer: the whole answer, or one NDJSON line of a stream. */
export const ollamaChatSchema = z
  .object({
    model: z.string().optional(),
    created_at: z.string().optional(),
    message: z
      .object({
        role: z.string().optional(),
        content: z.string().optional(),
        thinking: z.string().optional(),
        tool_calls: z
          .array(
            z
              .object({
                id: z.string().optional(),
                function: z
                  .object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).optional() })
                  .loose(),
              })
              .loose(),
          )
          .optional(),
      })
      .loose()
      .optional(),
    done: z.boolean(),
    done_reason: z.string().optional(),
    prompt_eval_count: count,
    eval_count: count,
  })
  .loose();
export type OllamaChatAnswer = z.infer<typeof ollamaChatSchema>;

export const ollamaErrorSchema = z.object({ error: z.string() }).loose();

export const ollamaTagsSchema = z
  .object({ models: z.array(z.object({ name: z.string().optional(), model: z.string().optional() }).loose()) })
  .loose();

export const ollamaEmbedSchema = z
  .object({ embeddings: z.array(z.array(z.number())), prompt_eval_count: count })
  .loose();
