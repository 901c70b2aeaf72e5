import type { Result, DialectError } from '../dialect';
import { chatMessagesSchema, type ChatMessageInput } from '../openai/chat-schema';

type Block = Record<string, unknown> & { type: string };
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

export interface AnthropicPrompt {
  system: string | undefined;
  messages: Turn[];
}

const fail = (message: string, param: string | null): { ok: false; error: DialectError } => ({
  ok: false,
  error: { message, param },
});

/**
 * Canonical messages → Anthropic's `system` + `messages`
 * (https://docs.anthropic.com/en/api/messages): system and developer messages become the
 * top-level `system` (wherever they were; Anthropic has no system turn), tool results become
 * `tool_result` blocks at the head of the following user turn, assistant tool calls become
 * `tool_use` blocks, and consecutive turns of one role are merged (Anthropic alternates roles).
 * `prefill` is appended as a final assistant turn, trailing whitespace removed (the API refuses it).
 */
export function convertToAnthropicMessages(
  input: unknown,
  prefill: string | undefined,
): Result<AnthropicPrompt, DialectError> {
  const parsed = chatMessagesSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(issue?.message ?? 'invalid messages', ['messages', ...(issue?.path ?? [])].join('.'));
  }
  const system: string[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) {
      // Tool results lead a user turn (the API requires them first).
      if (role === 'user' && blocks[0]?.type === 'tool_result') {
        const results = last.content.filter((b) => b.type === 'tool_result');
        const rest = last.content.filter((b) => b.type !== 'tool_result');
        last.content = [...results, ...blocks, ...rest];
      } else last.content.push(...blocks);
    } else turns.push({ role, content: blocks });
  };
  for (const [i, message] of parsed.data.entries()) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message);
        if (text !== '') system.push(text);
        break;
      }
      case 'user': {
        const blocks = userBlocks(message, i);
        if (!blocks.ok) return blocks;
        push('user', blocks.value);
        break;
      }
      case 'assistant': {
        const blocks = assistantBlocks(message, i);
        if (!blocks.ok) return blocks;
        push('assistant', blocks.value);
        break;
      }
      case 'tool':
      case 'function': {
        const id = message.tool_call_id ?? message.name;
        if (id === undefined) return fail('a tool message needs its tool_call_id', `messages.${i}.tool_call_id`);
        push('user', [{ type: 'tool_result', tool_use_id: id, content: textOf(message) }]);
        break;
      }
    }
  }
  if (prefill !== undefined && prefill.trimEnd() !== '') push('assistant', [{ type: 'text', text: prefill.trimEnd() }]);
  return { ok: true, value: { system: system.length === 0 ? undefined : system.join('\n\n'), messages: turns } };
}

function textOf(message: ChatMessageInput): string {
  const content = message.content;
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((p) => p.type === 'text')
    .map((p) => String(p['text'] ?? ''))
    .join('\n');
}

function userBlocks(message: ChatMessageInput, i: number): Result<Block[], DialectError> {
  const content = message.content;
  if (content === null || content === undefined) return { ok: true, value: [] };
  if (typeof content === 'string') return { ok: true, value: content === '' ? [] : [{ type: 'text', text: content }] };
  const blocks: Block[] = [];
  for (const [j, part] of content.entries()) {
    if (part.type === 'text') {
      const text = String(part['text'] ?? '');
      if (text !== '') blocks.push({ type: 'text', text });
    } else if (part.type === 'image_url') {
      const image = part['image_url'];
      const url = typeof image === 'string' ? image : (image as { url: string }).url;
      const source = imageSource(url);
      if (source === null)
        return fail('an image must be a data: URL (base64) or an http(s) URL', `messages.${i}.content.${j}.image_url`);
      blocks.push({ type: 'image', source });
    }
    // Other part types (audio, files) have no Messages form: dropped (docs/providers.md).
  }
  return { ok: true, value: blocks };
}

function imageSource(url: string): Record<string, string> | null {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data !== null) return { type: 'base64', media_type: data[1]!, data: data[2]! };
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  return null;
}

function assistantBlocks(message: ChatMessageInput, i: number): Result<Block[], DialectError> {
  const blocks: Block[] = [];
  const text = textOf(message);
  if (text !== '') blocks.push({ type: 'text', text });
  for (const [j, call] of (message.tool_calls ?? []).entries()) {
    const args = call.function.arguments.trim();
    let input: unknown = {};
    if (args !== '') {
      try {
        input = JSON.parse(args);
      } catch {
        return fail('tool call arguments must be a JSON object', `messages.${i}.tool_calls.${j}.function.arguments`);
      }
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return fail('tool call arguments must be a JSON object', `messages.${i}.tool_calls.${j}.function.arguments`);
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
  }
  return { ok: true, value: blocks };
}
