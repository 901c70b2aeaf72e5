import { z } from 'zod';

/**
 * The Anthropic Messages API wire types (https://docs.anthropic.com/en/api/messages,
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming). Loose objects: fields this
 * package does not read are kept, so a pass-through or a newer API version loses nothing.
 */

export const ANTHROPIC_VERSION = '2023-06-01';

const textBlock = z.object({ type: z.literal('text'), text: z.string() }).loose();
const imageBlock = z
  .object({
    type: z.literal('image'),
    source: z.union([
      z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }).loose(),
      z.object({ type: z.literal('url'), url: z.string() }).loose(),
    ]),
  })
  .loose();
const toolUseBlock = z
  .object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() })
  .loose();
const toolResultBlock = z
  .object({
    type: z.literal('tool_result'),
    tool_use_id: z.string(),
    content: z
      .union([z.string(), z.array(z.union([textBlock, imageBlock, z.object({ type: z.string() }).loose()]))])
      .optional(),
    is_error: z.boolean().optional(),
  })
  .loose();
/** Thinking, redacted thinking, documents, server tools…: kept in pass-through, dropped in translation. */
const otherBlock = z.object({ type: z.string() }).loose();

export const anthropicContentBlockSchema = z.union([textBlock, imageBlock, toolUseBlock, toolResultBlock, otherBlock]);
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;

export const anthropicMessageParamSchema = z
  .object({
    role: z.enum(['user', 'assistant', 'system']),
    content: z.union([z.string(), z.array(anthropicContentBlockSchema)]),
  })
  .loose();
export type AnthropicMessageParam = z.infer<typeof anthropicMessageParamSchema>;

export const anthropicToolSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()).optional(),
    type: z.string().optional(),
  })
  .loose();

export const anthropicToolChoiceSchema = z
  .object({
    type: z.enum(['auto', 'any', 'tool', 'none']),
    name: z.string().optional(),
    disable_parallel_tool_use: z.boolean().optional(),
  })
  .loose();

export const anthropicRequestSchema = z
  .object({
    model: z.string().min(1),
    max_tokens: z.number().int().positive(),
    messages: z.array(anthropicMessageParamSchema),
    system: z.union([z.string(), z.array(textBlock.or(otherBlock))]).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    top_k: z.number().optional(),
    stop_sequences: z.array(z.string()).optional(),
    tools: z.array(anthropicToolSchema).optional(),
    tool_choice: anthropicToolChoiceSchema.optional(),
    metadata: z.object({ user_id: z.string().nullable().optional() }).loose().optional(),
  })
  .loose();
export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;

/** `POST /v1/messages/count_tokens`: a Messages request without `max_tokens` (and never streamed). */
export const anthropicCountTokensRequestSchema = anthropicRequestSchema.extend({
  max_tokens: z.number().int().positive().optional(),
});

export const anthropicUsageSchema = z
  .object({
    input_tokens: z.number().nullish(),
    output_tokens: z.number().nullish(),
    cache_creation_input_tokens: z.number().nullish(),
    cache_read_input_tokens: z.number().nullish(),
  })
  .loose();
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

export const anthropicMessageSchema = z
  .object({
    id: z.string(),
    type: z.literal('message'),
    role: z.literal('assistant'),
    model: z.string(),
    content: z.array(anthropicContentBlockSchema),
    stop_reason: z.string().nullable(),
    stop_sequence: z.string().nullish(),
    usage: anthropicUsageSchema,
  })
  .loose();
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

export const anthropicErrorSchema = z
  .object({ type: z.literal('error'), error: z.object({ type: z.string(), message: z.string() }).loose() })
  .loose();

/** The stream's events; `data.type` equals the SSE `event:` name. */
export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: anthropicMessageSchema.partial().loose() }).loose(),
  z
    .object({ type: z.literal('content_block_start'), index: z.number(), content_block: anthropicContentBlockSchema })
    .loose(),
  z
    .object({
      type: z.literal('content_block_delta'),
      index: z.number(),
      delta: z
        .object({
          type: z.string(),
          text: z.string().optional(),
          partial_json: z.string().optional(),
          thinking: z.string().optional(),
        })
        .loose(),
    })
    .loose(),
  z.object({ type: z.literal('content_block_stop'), index: z.number() }).loose(),
  z
    .object({
      type: z.literal('message_delta'),
      delta: z.object({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }).loose(),
      usage: anthropicUsageSchema.optional(),
    })
    .loose(),
  z.object({ type: z.literal('message_stop') }).loose(),
  z.object({ type: z.literal('ping') }).loose(),
  z.object({ type: z.literal('error'), error: z.object({ type: z.string(), message: z.string() }).loose() }).loose(),
]);
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;
