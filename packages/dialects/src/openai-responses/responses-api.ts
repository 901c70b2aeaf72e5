import { z } from 'zod';

/**
 * The request fields of `POST /responses` that aisbf reads, as zod schemas (OpenAI's API reference,
 * https://platform.openai.com/docs/api-reference/responses/create, and the `openai` SDK's
 * `resources/responses` types). Loose: fields not listed are accepted and ignored or echoed, so a
 * newer client never gets a 400 for a field aisbf does not know (docs/clients.md lists the rules).
 */
const text = z.string();

export const inputContentPartSchema = z.object({ type: z.string({ error: 'each content part needs a type' }) }).loose();

export const messageItemSchema = z
  .object({
    type: z.literal('message').optional(),
    role: z.enum(['user', 'assistant', 'system', 'developer'], {
      error: 'role must be one of user, assistant, system, developer',
    }),
    content: z.union([text, z.array(inputContentPartSchema)], {
      error: 'content must be a string or an array of content parts',
    }),
  })
  .loose();

export const functionCallItemSchema = z
  .object({
    type: z.literal('function_call'),
    call_id: z.string({ error: 'function_call needs a call_id' }).min(1),
    name: z.string({ error: 'function_call needs a name' }).min(1),
    arguments: z.string({ error: 'function_call arguments must be a JSON string' }),
    namespace: z.string().optional(),
  })
  .loose();

export const customToolCallItemSchema = z
  .object({
    type: z.literal('custom_tool_call'),
    call_id: z.string({ error: 'custom_tool_call needs a call_id' }).min(1),
    name: z.string({ error: 'custom_tool_call needs a name' }).min(1),
    input: z.string({ error: 'custom_tool_call input must be a string' }),
    namespace: z.string().optional(),
  })
  .loose();

export const toolOutputItemSchema = z
  .object({
    type: z.enum(['function_call_output', 'custom_tool_call_output']),
    call_id: z.string({ error: 'a tool output needs the call_id of its call' }).min(1),
    output: z.union([text, z.array(inputContentPartSchema)], {
      error: 'output must be a string or an array of content parts',
    }),
  })
  .loose();

const toolSchema = z.object({ type: z.string({ error: 'each tool needs a type' }) }).loose();

export const responsesRequestSchema = z
  .object({
    model: z
      .string({ error: 'model is required (a route name; GET /models lists them)' })
      .min(1, 'model must not be empty'),
    input: z
      .union([text, z.array(z.object({}).loose(), { error: 'each input item must be an object' })], {
        error: 'input must be a string or an array of input items',
      })
      .optional(),
    instructions: text.nullish(),
    stream: z.boolean({ error: 'stream must be a boolean' }).nullish(),
    store: z.boolean({ error: 'store must be a boolean' }).nullish(),
    previous_response_id: z.string({ error: 'previous_response_id must be a string' }).min(1).nullish(),
    tools: z.array(toolSchema, { error: 'tools must be an array of tools' }).nullish(),
    tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.string() }).loose()]).nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    max_output_tokens: z.number().int().min(1, 'max_output_tokens must be at least 1').nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    text: z
      .object({ format: z.object({ type: z.string() }).loose().optional() })
      .loose()
      .nullish(),
    reasoning: z.object({}).loose().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    background: z.boolean().nullish(),
    conversation: z.unknown().optional(),
    prompt: z.unknown().optional(),
  })
  .loose();

export type ResponsesRequest = z.output<typeof responsesRequestSchema>;
/** An input item as the client sent it (validated per type when converted). */
export type ResponsesItem = Record<string, unknown>;
