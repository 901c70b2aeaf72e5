import { err, isRecord, ok, parseJson } from './result';
import type { DialectError, Result } from './dialect';

/** One piece of a user turn: text, or an image by URL (`data:` URLs carry the bytes inline). */
export type PromptPart =
  { type: 'text'; text: string } | { type: 'image'; url: string; inline: { mimeType: string; base64: string } | null };

export interface PromptToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them, parsed (backends other than OpenAI take an object). */
  args: Record<string, unknown>;
}

/**
 * An OpenAI Chat prompt read once, checked, in the terms every non-OpenAI backend needs: system
 * text apart, tool results with the name of the function they answer.
 */
export type PromptMessage =
  | { role: 'system'; text: string }
  | { role: 'user'; parts: PromptPart[] }
  | { role: 'assistant'; text: string; toolCalls: PromptToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; text: string };

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

const fail = (message: string, param: string): Result<never, DialectError> => err({ message, param });

/** Text of a `content` that may be a string, null or an array of parts (text parts only). */
function textOf(content: unknown, param: string): Result<string, DialectError> {
  if (content === null || content === undefined) return ok('');
  if (typeof content === 'string') return ok(content);
  if (!Array.isArray(content)) return fail(`${param} must be a string or an array of content parts`, param);
  let text = '';
  for (const [i, part] of content.entries()) {
    if (!isRecord(part) || part['type'] !== 'text' || typeof part['text'] !== 'string')
      return fail(`${param}[${i}] must be a text part here`, `${param}[${i}]`);
    text += part['text'];
  }
  return ok(text);
}

function userParts(content: unknown, param: string): Result<PromptPart[], DialectError> {
  if (typeof content === 'string') return ok([{ type: 'text', text: content }]);
  if (!Array.isArray(content)) return fail(`${param} must be a string or an array of content parts`, param);
  const parts: PromptPart[] = [];
  for (const [i, part] of content.entries()) {
    const at = `${param}[${i}]`;
    if (!isRecord(part)) return fail(`${at} must be an object`, at);
    if (part['type'] === 'text' && typeof part['text'] === 'string') parts.push({ type: 'text', text: part['text'] });
    else if (part['type'] === 'image_url') {
      const image = part['image_url'];
      const url = isRecord(image) ? image['url'] : image;
      if (typeof url !== 'string') return fail(`${at}.image_url.url must be a string`, `${at}.image_url.url`);
      const data = DATA_URL.exec(url);
      parts.push({ type: 'image', url, inline: data ? { mimeType: data[1]!, base64: data[2]! } : null });
    } else return fail(`${at}: content part type "${String(part['type'])}" is not supported by this backend`, at);
  }
  return ok(parts);
}

function toolCalls(value: unknown, param: string): Result<PromptToolCall[], DialectError> {
  if (value === undefined || value === null) return ok([]);
  if (!Array.isArray(value)) return fail(`${param} must be an array`, param);
  const calls: PromptToolCall[] = [];
  for (const [i, call] of value.entries()) {
    const at = `${param}[${i}]`;
    const fn = isRecord(call) ? call['function'] : undefined;
    if (!isRecord(call) || typeof call['id'] !== 'string' || !isRecord(fn) || typeof fn['name'] !== 'string')
      return fail(`${at} needs an id and a function name`, at);
    const raw = fn['arguments'];
    const parsed = typeof raw === 'string' ? parseJson(raw.trim() === '' ? '{}' : raw) : ok(raw ?? {});
    if (!parsed.ok || !isRecord(parsed.value))
      return fail(`${at}.function.arguments must be a JSON object`, `${at}.function.arguments`);
    calls.push({ id: call['id'], name: fn['name'], args: parsed.value });
  }
  return ok(calls);
}

/**
 * Reads `messages` (already known to be an array of objects with a role). A `tool` message must
 * answer a call made by an earlier assistant turn, as OpenAI itself requires: its function name
 * comes from there.
 */
export function readChatPrompt(messages: readonly unknown[]): Result<PromptMessage[], DialectError> {
  const out: PromptMessage[] = [];
  const calls = new Map<string, string>();
  for (const [i, m] of messages.entries()) {
    const at = `messages[${i}]`;
    if (!isRecord(m)) return fail(`${at} must be an object`, at);
    const role = m['role'];
    switch (role) {
      case 'system':
      case 'developer': {
        const text = textOf(m['content'], `${at}.content`);
        if (!text.ok) return text;
        out.push({ role: 'system', text: text.value });
        break;
      }
      case 'user': {
        const parts = userParts(m['content'], `${at}.content`);
        if (!parts.ok) return parts;
        out.push({ role: 'user', parts: parts.value });
        break;
      }
      case 'assistant': {
        const text = textOf(m['content'], `${at}.content`);
        if (!text.ok) return text;
        const made = toolCalls(m['tool_calls'], `${at}.tool_calls`);
        if (!made.ok) return made;
        for (const call of made.value) calls.set(call.id, call.name);
        out.push({ role: 'assistant', text: text.value, toolCalls: made.value });
        break;
      }
      case 'tool': {
        const id = m['tool_call_id'];
        if (typeof id !== 'string') return fail(`${at}.tool_call_id is required`, `${at}.tool_call_id`);
        const name = calls.get(id);
        if (name === undefined)
          return fail(`${at} answers tool call "${id}", which no earlier assistant message made`, `${at}.tool_call_id`);
        const text = textOf(m['content'], `${at}.content`);
        if (!text.ok) return text;
        out.push({ role: 'tool', toolCallId: id, name, text: text.value });
        break;
      }
      default:
        return fail(`${at}.role "${String(role)}" is not supported by this backend`, `${at}.role`);
    }
  }
  return ok(out);
}
