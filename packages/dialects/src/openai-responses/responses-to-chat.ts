import type { ChatRequest } from '../chat-types';
import { convertResponsesInput, type InputProblem } from './convert-responses-input';
import { prepareResponsesTools, type ToolNames } from './prepare-responses-tools';
import type { ResponsesItem, ResponsesRequest } from './responses-api';

/** The request fields a Response object repeats back (OpenAI's Response object reference). */
export interface ResponseEcho {
  instructions: string | null;
  tools: unknown[];
  tool_choice: unknown;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  previous_response_id: string | null;
  reasoning: Record<string, unknown> | null;
  text: Record<string, unknown>;
  metadata: Record<string, string>;
  store: boolean;
}

export interface ChatTurn {
  /** The canonical request: OpenAI Chat Completions. */
  chat: ChatRequest;
  /** To give tool calls back their Responses shape. */
  tools: ToolNames;
  /** The conversation's input items: the earlier turn's (if any) and this request's, in order. */
  items: ResponsesItem[];
  echo: ResponseEcho;
}

export type ChatTurnResult = { ok: true; value: ChatTurn } | { ok: false; error: InputProblem };

/**
 * A Responses request → one chat completion request. `history` is the conversation a
 * `previous_response_id` names (its input items and its output), already looked up by the
 * caller; the earlier turn's `instructions` are not carried over (OpenAI's reference for
 * `instructions`). Field rules (docs/clients.md): `max_output_tokens` → `max_completion_tokens`;
 * `text.format` → `response_format`; `temperature`, `top_p`, `parallel_tool_calls` as they are;
 * `reasoning`, `include`, `store`, `prompt_cache_key`, `metadata`, `truncation`, `service_tier`,
 * `user` and `safety_identifier` are not sent to the backend (reasoning knobs are refused by chat
 * models that do not reason; a provider model's `defaults` can set `reasoning_effort`).
 */
export function responsesToChat(request: ResponsesRequest, history: readonly ResponsesItem[] = []): ChatTurnResult {
  if (request.background === true)
    return refuse('aisbf does not run responses in the background; send background: false.', 'background');
  if (request.conversation !== undefined && request.conversation !== null)
    return refuse('aisbf keeps no conversation objects; chain turns with previous_response_id.', 'conversation');
  if (request.prompt !== undefined && request.prompt !== null)
    return refuse('Prompt templates live in OpenAI projects; send instructions and input instead.', 'prompt');
  const input = request.input;
  const own: ResponsesItem[] =
    input === undefined ? [] : typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input;
  if (own.length === 0 && history.length === 0) return refuse('input is required (a string or input items).', 'input');
  const items = [...history, ...own];
  const converted = convertResponsesInput(own);
  if (!converted.ok) return converted;
  // History was valid when it was stored; it converts with the calls it holds visible to `own`.
  const whole = history.length === 0 ? converted : convertResponsesInput(items);
  if (!whole.ok) return whole;
  const messages = whole.messages;
  if (typeof request.instructions === 'string' && request.instructions !== '')
    messages.unshift({ role: 'system', content: request.instructions });
  if (messages.length === 0) return refuse('input holds no message a model can read.', 'input');
  const tools = prepareResponsesTools(request.tools, request.tool_choice);
  const chat: ChatRequest = { model: request.model, messages };
  if (request.stream === true) chat.stream = true;
  if (tools.tools.length > 0) {
    chat.tools = tools.tools;
    if (tools.toolChoice !== undefined) chat.tool_choice = tools.toolChoice;
    if (typeof request.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = request.parallel_tool_calls;
  }
  if (typeof request.max_output_tokens === 'number') chat.max_completion_tokens = request.max_output_tokens;
  if (typeof request.temperature === 'number') chat.temperature = request.temperature;
  if (typeof request.top_p === 'number') chat.top_p = request.top_p;
  const format = responseFormat(request.text?.format);
  if (format !== undefined) chat.response_format = format;
  return {
    ok: true,
    value: {
      chat,
      tools: tools.names,
      items,
      echo: {
        instructions: request.instructions ?? null,
        tools: request.tools ?? [],
        tool_choice: request.tool_choice ?? 'auto',
        parallel_tool_calls: request.parallel_tool_calls ?? true,
        temperature: request.temperature ?? null,
        top_p: request.top_p ?? null,
        max_output_tokens: request.max_output_tokens ?? null,
        previous_response_id: request.previous_response_id ?? null,
        reasoning: request.reasoning ?? null,
        text: request.text ?? { format: { type: 'text' } },
        metadata: request.metadata ?? {},
        store: request.store ?? true,
      },
    },
  };
}

/** `text.format` (json_schema, json_object, text) → chat `response_format`; text is the default. */
function responseFormat(format: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (format === undefined) return undefined;
  if (format['type'] === 'json_object') return { type: 'json_object' };
  if (format['type'] !== 'json_schema') return undefined;
  const json_schema: Record<string, unknown> = { name: format['name'] ?? 'response', schema: format['schema'] ?? {} };
  if (typeof format['strict'] === 'boolean') json_schema['strict'] = format['strict'];
  if (typeof format['description'] === 'string') json_schema['description'] = format['description'];
  return { type: 'json_schema', json_schema };
}

const refuse = (message: string, param: string): ChatTurnResult => ({ ok: false, error: { message, param } });
