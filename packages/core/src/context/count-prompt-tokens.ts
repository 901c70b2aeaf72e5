import type { TokenCounter } from './count-tokens';
import { utf8Length } from './count-tokens';

/**
 * Prompt tokens of a canonical (OpenAI Chat) request, the way OpenAI bills them: each message costs
 * its text plus 3 tokens of framing (`<|start|>role … <|end|>`), a `name` 1 more, and every reply is
 * primed with 3 (OpenAI cookbook, "How to count tokens with tiktoken"). Images, tool definitions and
 * tool calls are approximated (docs/context.md "Token counts").
 */
export const MESSAGE_OVERHEAD_TOKENS = 3;
export const NAME_OVERHEAD_TOKENS = 1;
export const REPLY_PRIMING_TOKENS = 3;
/** One 512 px tile at high detail plus the base (OpenAI's vision pricing); low detail costs 85. */
export const IMAGE_TOKENS = 765;
/** Framing of one tool definition or tool call around its JSON. */
export const TOOL_OVERHEAD_TOKENS = 8;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The texts a message contributes, and what it costs beyond them. */
function messageParts(message: unknown): { texts: string[]; fixed: number } {
  const texts: string[] = [];
  let fixed = MESSAGE_OVERHEAD_TOKENS;
  if (!isRec(message)) return { texts, fixed };
  if (typeof message['role'] === 'string') texts.push(message['role']);
  if (typeof message['name'] === 'string') {
    texts.push(message['name']);
    fixed += NAME_OVERHEAD_TOKENS;
  }
  const content = message['content'];
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (!isRec(part)) continue;
      if (typeof part['text'] === 'string') texts.push(part['text']);
      else if (part['type'] === 'image_url' || part['type'] === 'input_image') fixed += IMAGE_TOKENS;
      else if (part['type'] !== undefined) texts.push(JSON.stringify(part));
    }
  }
  if (typeof message['tool_call_id'] === 'string') texts.push(message['tool_call_id']);
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const fn = isRec(call) && isRec(call['function']) ? call['function'] : undefined;
      if (fn === undefined) continue;
      if (typeof fn['name'] === 'string') texts.push(fn['name']);
      if (typeof fn['arguments'] === 'string') texts.push(fn['arguments']);
      fixed += TOOL_OVERHEAD_TOKENS;
    }
  }
  return { texts, fixed };
}

/** The request-level texts outside messages: tool definitions (and the legacy `functions`). */
function requestParts(request: Rec): { texts: string[]; fixed: number } {
  const texts: string[] = [];
  let fixed = REPLY_PRIMING_TOKENS;
  for (const key of ['tools', 'functions'] as const) {
    const list = request[key];
    if (!Array.isArray(list)) continue;
    for (const tool of list) {
      texts.push(JSON.stringify(isRec(tool) && isRec(tool['function']) ? tool['function'] : tool));
      fixed += TOOL_OVERHEAD_TOKENS;
    }
  }
  return { texts, fixed };
}

function messagesOf(request: Rec): unknown[] {
  const messages = request['messages'];
  return Array.isArray(messages) ? messages : [];
}

/** Tokens of one message, framing included. */
export function countMessageTokens(message: unknown, counter: TokenCounter): number {
  const { texts, fixed } = messageParts(message);
  let n = fixed;
  for (const text of texts) n += counter.count(text);
  return n;
}

/** Prompt tokens of a whole request (messages, tools and the reply priming). */
export function countPromptTokens(request: Rec, counter: TokenCounter): number {
  const { texts, fixed } = requestParts(request);
  let n = fixed;
  for (const text of texts) n += counter.count(text);
  for (const message of messagesOf(request)) n += countMessageTokens(message, counter);
  return n;
}

/**
 * A bound no exact count exceeds: byte-level BPE (o200k, cl100k) never makes a token shorter than
 * one UTF-8 byte. Computing it costs a scan of the text (about 0.1 ms for 32 KB), no tokenizing.
 */
export function promptTokenBound(request: Rec): number {
  const all = [requestParts(request), ...messagesOf(request).map(messageParts)];
  let n = 0;
  for (const { texts, fixed } of all) {
    n += fixed;
    for (const text of texts) n += utf8Length(text);
  }
  return n;
}

/**
 * Whether the prompt takes at most `room` tokens. The byte bound answers most requests without
 * tokenizing; otherwise texts are counted only until `room` is passed, so the cost is bounded by
 * the window, not by the prompt (docs/context.md "Costs").
 */
export function promptFits(request: Rec, counter: TokenCounter, room: number): boolean {
  if (counter.encoding !== 'estimate' && promptTokenBound(request) <= room) return true;
  const all = [requestParts(request), ...messagesOf(request).map(messageParts)];
  let n = 0;
  for (const { texts, fixed } of all) {
    n += fixed;
    if (n > room) return false;
    for (const text of texts) {
      n += counter.countUpTo(text, room - n);
      if (n > room) return false;
    }
  }
  return true;
}
