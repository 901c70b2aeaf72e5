import { safeJsonParse } from '@aisbf/core';

/** What the proxy needs from one upstream SSE payload, read without trusting its shape. */
export interface ChunkFacts {
  json: Record<string, unknown>;
  /** Text this chunk adds (chat `delta.content`, completions `text`). */
  text: string;
  /** Carries content the client must see: text, tool calls, a finish reason. */
  hasContent: boolean;
  /** The delta names a `role` (the opening chunk of a chat stream). */
  hasRole: boolean;
  /** `{"choices":[],"usage":{…}}`, the include_usage trailer. */
  usageOnly: boolean;
  usage: UsageCounts | null;
  error: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Null for a payload that is not a JSON object (a malformed chunk, skipped and counted). */
export function chunkFacts(data: string): ChunkFacts | null {
  const parsed = safeJsonParse(data);
  if (!parsed.ok || !isRecord(parsed.value)) return null;
  const json = parsed.value;
  let text = '';
  let hasContent = false;
  let hasRole = false;
  const choices = json['choices'];
  const choice = Array.isArray(choices) ? (choices[0] as unknown) : undefined;
  if (isRecord(choice)) {
    const delta = choice['delta'];
    if (isRecord(delta)) {
      const content = delta['content'];
      if (typeof content === 'string') text = content;
      hasRole = delta['role'] !== undefined;
      if (
        delta['tool_calls'] !== undefined ||
        delta['function_call'] !== undefined ||
        (typeof delta['refusal'] === 'string' && delta['refusal'] !== '')
      )
        hasContent = true;
    } else if (typeof choice['text'] === 'string') text = choice['text'];
    if (choice['finish_reason'] !== null && choice['finish_reason'] !== undefined) hasContent = true;
  }
  if (text !== '') hasContent = true;
  return {
    json,
    text,
    hasContent,
    hasRole,
    usageOnly: Array.isArray(choices) && choices.length === 0 && json['usage'] !== undefined,
    usage: readUsage(json['usage']),
    error: json['error'],
  };
}

/** A backend's reported usage; `cached` is the part of `prompt` served from its prompt cache (docs/usage.md). */
export interface UsageCounts {
  prompt: number;
  completion: number;
  cached: number;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);

export function readUsage(value: unknown): UsageCounts | null {
  if (!isRecord(value)) return null;
  const prompt = value['prompt_tokens'];
  if (typeof prompt !== 'number' || !Number.isInteger(prompt) || prompt < 0) return null;
  const details = value['prompt_tokens_details'];
  return {
    prompt,
    completion: count(value['completion_tokens']),
    cached: Math.min(prompt, isRecord(details) ? count(details['cached_tokens']) : 0),
  };
}

/** A rough token estimate (≈4 characters a token) when the backend reports no usage. */
export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);
