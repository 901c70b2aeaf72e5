import type { ChatToolCall, ChatUsage } from '../chat-types';
import type { ToolNames } from './prepare-responses-tools';
import type { ResponseEcho } from './responses-to-chat';

/** One output item of a Response (the `openai` SDK's `ResponseOutputItem`, the kinds aisbf makes). */
export type OutputItem =
  | {
      type: 'message';
      id: string;
      role: 'assistant';
      status: 'in_progress' | 'completed' | 'incomplete';
      content: Array<
        | { type: 'output_text'; text: string; annotations: never[]; logprobs: never[] }
        | { type: 'refusal'; refusal: string }
      >;
    }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      namespace?: string;
    }
  | {
      type: 'custom_tool_call';
      id: string;
      call_id: string;
      name: string;
      input: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      namespace?: string;
    };

export interface ResponseUsage {
  input_tokens: number;
  /** Chat answers do not report prompt-cache writes: `cache_write_tokens` is 0. */
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'incomplete';

export interface ResponseObject extends ResponseEcho {
  id: string;
  object: 'response';
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  /** OpenAI's closed list of codes; aisbf uses the two that fit a broker. */
  error: { code: 'server_error' | 'rate_limit_exceeded'; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  /** Absent until the backend reported it. */
  usage?: ResponseUsage;
  background: false;
  truncation: 'disabled';
  service_tier: 'default';
}

/** What the converters need about the response being made; ids and times come from the caller. */
export interface ResponseContext {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The route name the client asked for, until an answer names the model that served. */
  model: string;
  echo: ResponseEcho;
  tools: ToolNames;
  /** A fresh item id with the given prefix (`msg`, `fc`, `ctc`). */
  newId: (prefix: string) => string;
}

export function responseShell(ctx: ResponseContext, status: ResponseStatus, model = ctx.model): ResponseObject {
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    completed_at: null,
    status,
    error: null,
    incomplete_details: null,
    model,
    output: [],
    background: false,
    truncation: 'disabled',
    service_tier: 'default',
    ...ctx.echo,
  };
}

/** `{usage}` when the backend reported usage, else nothing (the field is optional). */
export const usageField = (usage: Parameters<typeof convertChatUsage>[0]): { usage?: ResponseUsage } => {
  const converted = convertChatUsage(usage);
  return converted === null ? {} : { usage: converted };
};

/** Chat usage → Responses usage (cached prompt tokens and reasoning tokens kept). */
export function convertChatUsage(
  usage: (ChatUsage & { completion_tokens_details?: { reasoning_tokens?: number | null } | null }) | null | undefined,
): ResponseUsage | null {
  if (usage === null || usage === undefined) return null;
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0, cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
  };
}

/** Chat `finish_reason` → the Response's status and `incomplete_details`. */
export function mapFinishReason(
  reason: string | null | undefined,
): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (reason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** A chat tool call as the Responses item it stands for (a namespaced name is split back). */
export function toolCallItem(
  ctx: ResponseContext,
  call: ChatToolCall,
  status: 'in_progress' | 'completed',
): Extract<OutputItem, { type: 'function_call' | 'custom_tool_call' }> {
  const origin = ctx.tools.get(call.function.name);
  const name = origin?.name ?? call.function.name;
  const namespace = origin?.namespace === undefined ? {} : { namespace: origin.namespace };
  if (origin?.kind === 'custom')
    return {
      type: 'custom_tool_call',
      id: ctx.newId('ctc'),
      call_id: call.id,
      name,
      input: customInput(call.function.arguments),
      status,
      ...namespace,
    };
  return {
    type: 'function_call',
    id: ctx.newId('fc'),
    call_id: call.id,
    name,
    arguments: call.function.arguments,
    status,
    ...namespace,
  };
}

/** The `input` of a custom tool's call: the `{"input": …}` argument, or the raw text if the model wrote none. */
export function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { input?: unknown }).input === 'string')
      return (parsed as { input: string }).input;
  } catch {
    // Not JSON: the model wrote the input itself.
  }
  return args;
}
