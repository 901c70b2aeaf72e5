import type { ChatRequest } from '../chat-types';
import type { ClientRequestError, Result } from '../dialect';
import {
  anthropicCountTokensRequestSchema,
  anthropicRequestSchema,
  type AnthropicContentBlock,
} from './anthropic-messages-api';

type Msg = Record<string, unknown>;
const text = (blocks: string | AnthropicContentBlock[] | undefined): string =>
  typeof blocks === 'string'
    ? blocks
    : (blocks ?? [])
        .filter((b) => b.type === 'text')
        .map((b) => String(b['text'] ?? ''))
        .join('\n');

/**
 * An Anthropic Messages request (https://docs.anthropic.com/en/api/messages) → a canonical chat
 * request. `system` (and `system` turns) become system messages, `tool_use` blocks tool calls,
 * `tool_result` blocks tool messages placed before the rest of their user turn, images image
 * parts. Dropped (docs/clients.md): thinking blocks and `thinking`, `cache_control`, `metadata`
 * but its `user_id`, server tools (tools with a `type`), and the other fields OpenAI Chat has no
 * place for. The stream always asks for usage: an Anthropic stream reports it.
 */
export function anthropicToChat(body: unknown): Result<ChatRequest, ClientRequestError> {
  const parsed = anthropicRequestSchema.safeParse(body);
  if (!parsed.success) return refusal(parsed.error.issues[0]);
  const r = parsed.data;
  const messages: Msg[] = [];
  const system = typeof r.system === 'string' ? r.system : text(r.system as AnthropicContentBlock[] | undefined);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const m of r.messages) {
    if (m.role === 'system') {
      messages.push({ role: 'system', content: text(m.content) });
      continue;
    }
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    const parts: Msg[] = [];
    const calls: Msg[] = [];
    for (const b of m.content) {
      if (b.type === 'text') parts.push({ type: 'text', text: b['text'] });
      else if (b.type === 'image') {
        const s = b['source'] as Record<string, unknown>;
        const url =
          s['type'] === 'base64' ? `data:${String(s['media_type'])};base64,${String(s['data'])}` : String(s['url']);
        parts.push({ type: 'image_url', image_url: { url } });
      } else if (b.type === 'tool_use')
        calls.push({
          id: b['id'],
          type: 'function',
          function: { name: b['name'], arguments: JSON.stringify(b['input'] ?? {}) },
        });
      else if (b.type === 'tool_result') {
        const content = b['content'];
        const out = typeof content === 'string' ? content : text(content as AnthropicContentBlock[] | undefined);
        messages.push({
          role: 'tool',
          tool_call_id: b['tool_use_id'],
          content: b['is_error'] === true ? `Error: ${out}` : out,
        });
      }
    }
    if (m.role === 'assistant') {
      const content = parts.map((p) => String(p['text'] ?? '')).join('');
      if (content !== '' || calls.length > 0)
        messages.push({
          role: 'assistant',
          content: content === '' ? null : content,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        });
    } else if (parts.length > 0) messages.push({ role: 'user', content: parts });
  }
  const chat: ChatRequest = { model: r.model, messages, max_tokens: r.max_tokens };
  if (r.stream === true) {
    chat['stream'] = true;
    chat['stream_options'] = { include_usage: true };
  }
  if (r.temperature !== undefined) chat['temperature'] = r.temperature;
  if (r.top_p !== undefined) chat['top_p'] = r.top_p;
  if (r.stop_sequences !== undefined) chat['stop'] = r.stop_sequences;
  const tools = (r.tools ?? []).filter((t) => t.type === undefined || t.type === 'custom');
  if (tools.length > 0)
    chat['tools'] = tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description === undefined ? {} : { description: t.description }),
        parameters: t.input_schema ?? { type: 'object', properties: {} },
      },
    }));
  const choice = r.tool_choice;
  if (choice !== undefined && tools.length > 0) {
    chat['tool_choice'] =
      choice.type === 'any'
        ? 'required'
        : choice.type === 'tool'
          ? { type: 'function', function: { name: choice.name ?? '' } }
          : choice.type;
    if (choice.disable_parallel_tool_use === true) chat['parallel_tool_calls'] = false;
  }
  if (typeof r.metadata?.user_id === 'string') chat['user'] = r.metadata.user_id;
  return { ok: true, value: chat };
}

/**
 * A `count_tokens` request (a Messages request that needs no `max_tokens`) → the canonical request
 * whose prompt is counted; invalid ones are refused with the same wording as `messages`.
 */
export function anthropicCountTokensToChat(body: unknown): Result<ChatRequest, ClientRequestError> {
  const parsed = anthropicCountTokensRequestSchema.safeParse(body);
  if (!parsed.success) return refusal(parsed.error.issues[0]);
  return anthropicToChat({ ...parsed.data, max_tokens: parsed.data.max_tokens ?? 1, stream: false });
}

function refusal(issue: { path: ReadonlyArray<PropertyKey>; message: string } | undefined): {
  ok: false;
  error: ClientRequestError;
} {
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
  return {
    ok: false,
    error: { status: 400, type: 'invalid_request_error', message: `${where}${issue?.message ?? 'invalid request'}` },
  };
}
