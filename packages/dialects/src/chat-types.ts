/**
 * The canonical form: OpenAI Chat Completions, the dialect the routing core speaks
 * (https://platform.openai.com/docs/api-reference/chat). Every other dialect converts to and from
 * these shapes. Requests stay open records (`ChatRequest`): a field no adapter knows is kept for
 * OpenAI-compatible backends and dropped by the others by a documented rule (docs/providers.md).
 */

/** A chat request body; `messages` is read through `chatMessagesSchema` (openai/chat-schema.ts). */
export type ChatRequest = Record<string, unknown> & { model: string };

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type ChatContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } };

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** `stop`, `length`, `tool_calls`, `content_filter` (OpenAI's closed list). */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** `cached_tokens`: the part of `prompt_tokens` the backend served from its prompt cache. */
  prompt_tokens_details?: { cached_tokens: number };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[]; refusal?: string | null };
    finish_reason: ChatFinishReason | null;
  }>;
  usage?: ChatUsage;
}

export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments?: string };
}

export interface ChatChunkDelta {
  role?: 'assistant';
  content?: string;
  tool_calls?: ChatToolCallDelta[];
}

export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: ChatChunkDelta; finish_reason: ChatFinishReason | null }>;
  /** Only on the usage trailer (`choices: []`), as `stream_options.include_usage` sends it. */
  usage?: ChatUsage | null;
}

/** An error in the canonical (OpenAI) shape: the body `{"error": ChatError}`, also mid-stream. */
export interface ChatError {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
}

/** An embeddings answer in the canonical shape (https://platform.openai.com/docs/api-reference/embeddings/object). */
export interface EmbeddingList {
  object: 'list';
  /** `embedding` is a base64 string of little-endian float32s when the client asked `encoding_format: "base64"`. */
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
