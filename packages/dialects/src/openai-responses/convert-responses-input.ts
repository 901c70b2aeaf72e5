import type { ChatContentPart, ChatMessage, ChatToolCall } from '../chat-types';
import { namespacedName } from './prepare-responses-tools';
import {
  customToolCallItemSchema,
  functionCallItemSchema,
  messageItemSchema,
  toolOutputItemSchema,
  type ResponsesItem,
} from './responses-api';

export interface InputProblem {
  message: string;
  /** Where, as the request's own path (`input.3.content`). */
  param: string;
}

export type ConvertedInput = { ok: true; messages: ChatMessage[] } | { ok: false; error: InputProblem };

/**
 * Responses input items → chat messages, in order (OpenAI's conversation-state guide: a follow-up
 * is the earlier items plus the new ones). Rules, also in docs/clients.md:
 * - `developer` and `system` messages become `system` (OpenAI-compatible servers do not all know
 *   `developer`); text parts are joined, so system and assistant messages are plain strings.
 * - `function_call` and `custom_tool_call` items become `tool_calls` of one assistant message (a
 *   run of them is one parallel call); their outputs become `tool` messages. An output whose call
 *   is not in the conversation is left out: chat backends refuse a tool message without its call.
 * - `reasoning` items are left out: their `encrypted_content` is sealed by OpenAI for OpenAI and
 *   means nothing to any other backend (a summary is the model's own notes, not conversation).
 * - `input_image` with an `image_url` (a URL or a data URL) becomes an `image_url` part; one that
 *   names an OpenAI `file_id`, `input_file` and `input_audio` parts are left out (aisbf holds no
 *   OpenAI files). Items of other types (hosted tool calls, `item_reference`, …) are left out.
 */
export function convertResponsesInput(items: readonly ResponsesItem[], base = 'input'): ConvertedInput {
  const messages: ChatMessage[] = [];
  const calls = new Set<string>();
  for (const [i, item] of items.entries()) {
    const at = `${base}.${i}`;
    const type = item['type'] ?? 'message';
    if (type === 'message') {
      const parsed = messageItemSchema.safeParse(item);
      if (!parsed.success) return problem(parsed.error.issues[0], at);
      const { role, content } = parsed.data;
      if (role === 'user') messages.push({ role: 'user', content: userContent(content) });
      else {
        const textOf = joinText(content);
        if (role === 'assistant') messages.push({ role: 'assistant', content: textOf });
        else messages.push({ role: 'system', content: textOf });
      }
      continue;
    }
    if (type === 'function_call' || type === 'custom_tool_call') {
      const call = toolCall(item);
      if (!call.ok) return problem(call.issue, at);
      calls.add(call.value.id);
      const last = messages.at(-1);
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call.value];
      else messages.push({ role: 'assistant', content: null, tool_calls: [call.value] });
      continue;
    }
    if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const parsed = toolOutputItemSchema.safeParse(item);
      if (!parsed.success) return problem(parsed.error.issues[0], at);
      if (!calls.has(parsed.data.call_id)) continue;
      const output = parsed.data.output;
      messages.push({
        role: 'tool',
        tool_call_id: parsed.data.call_id,
        content: typeof output === 'string' ? output : joinText(output),
      });
    }
  }
  return { ok: true, messages };
}

type CallResult = { ok: true; value: ChatToolCall } | { ok: false; issue: Issue | undefined };
type Issue = { message: string; path: PropertyKey[] };

function toolCall(item: ResponsesItem): CallResult {
  if (item['type'] === 'function_call') {
    const parsed = functionCallItemSchema.safeParse(item);
    if (!parsed.success) return { ok: false, issue: parsed.error.issues[0] };
    const { call_id, name, arguments: args, namespace } = parsed.data;
    return {
      ok: true,
      value: {
        id: call_id,
        type: 'function',
        function: { name: namespace === undefined ? name : namespacedName(namespace, name), arguments: args },
      },
    };
  }
  const parsed = customToolCallItemSchema.safeParse(item);
  if (!parsed.success) return { ok: false, issue: parsed.error.issues[0] };
  const { call_id, name, input, namespace } = parsed.data;
  return {
    ok: true,
    value: {
      id: call_id,
      type: 'function',
      function: {
        name: namespace === undefined ? name : namespacedName(namespace, name),
        arguments: JSON.stringify({ input }),
      },
    },
  };
}

function problem(issue: Issue | undefined, at: string): ConvertedInput {
  const path = issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.map(String).join('.')}`;
  return { ok: false, error: { message: issue?.message ?? 'invalid input item', param: `${at}${path}` } };
}

/** The text of string content or of its text parts (`input_text`, `output_text`, `text`, `refusal`). */
function joinText(content: string | ReadonlyArray<Record<string, unknown>>): string {
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const part of content) {
    const t = part['text'] ?? part['refusal'];
    if (typeof t === 'string') texts.push(t);
  }
  return texts.join('\n');
}

/** A user message is a plain string unless it holds an image. */
function userContent(content: string | ReadonlyArray<Record<string, unknown>>): string | ChatContentPart[] {
  if (typeof content === 'string') return content;
  const parts: ChatContentPart[] = [];
  for (const part of content) {
    const t = part['text'];
    if (typeof t === 'string') parts.push({ type: 'text', text: t });
    else if (part['type'] === 'input_image' && typeof part['image_url'] === 'string') {
      const detail = part['detail'];
      parts.push({
        type: 'image_url',
        image_url: {
          url: part['image_url'],
          ...(detail === 'low' || detail === 'high' ? { detail } : detail === 'original' ? { detail: 'high' } : {}),
        },
      });
    }
  }
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
  return parts;
}
