import type { PassthroughFacts, PassthroughReader } from '../dialect';
import { anthropicErrorAsChat } from './anthropic-error';
import type { AnthropicUsage } from './anthropic-messages-api';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import { readAnthropicPlainEvent } from './read-anthropic-plain-event';
import { readAnthropicTextDelta } from './read-anthropic-text-delta';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const NOTHING: PassthroughFacts = { text: '', hasContent: false, usage: null, error: null, done: false };

const usageFacts = (u: AnthropicUsage): NonNullable<PassthroughFacts['usage']> => {
  const c = convertAnthropicUsage(u);
  return {
    prompt: c.prompt_tokens,
    completion: c.completion_tokens,
    cached: c.prompt_tokens_details?.cached_tokens ?? 0,
  };
};

/**
 * Reads Anthropic's own events for the routing core while they pass to an Anthropic client
 * unchanged: text, whether the client must see the event (any content block, a stop), usage
 * (input from `message_start`, output from `message_delta`), `error` events and `message_stop`.
 */
export function createAnthropicPassthroughReader(): PassthroughReader {
  const usage: AnthropicUsage = {};
  let lastType = 'message';
  const merge = (u: unknown): void => {
    if (!isRecord(u)) return;
    for (const key of [
      'input_tokens',
      'output_tokens',
      'cache_read_input_tokens',
      'cache_creation_input_tokens',
    ] as const)
      if (typeof u[key] === 'number') usage[key] = u[key];
  };
  return {
    read(payload) {
      // Most events are text deltas or carry only their type: read in place, no JSON.parse.
      const delta = readAnthropicTextDelta(payload);
      if (delta !== null) {
        lastType = 'content_block_delta';
        return { ...NOTHING, text: delta, hasContent: true };
      }
      const plain = readAnthropicPlainEvent(payload);
      if (plain !== null) {
        lastType = plain === 'text_block_start' ? 'content_block_start' : plain;
        if (plain === 'message_stop') return { ...NOTHING, done: true };
        return plain === 'text_block_start' ? { ...NOTHING, hasContent: true } : NOTHING;
      }
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch {
        return null;
      }
      if (!isRecord(json) || typeof json['type'] !== 'string') return null;
      lastType = json['type'];
      switch (lastType) {
        case 'message_start':
          merge(isRecord(json['message']) ? json['message']['usage'] : undefined);
          return { ...NOTHING, usage: usageFacts(usage) };
        case 'content_block_start':
          return { ...NOTHING, hasContent: true };
        case 'content_block_delta': {
          const delta = isRecord(json['delta']) ? json['delta'] : {};
          const text = delta['type'] === 'text_delta' && typeof delta['text'] === 'string' ? delta['text'] : '';
          return { ...NOTHING, text, hasContent: true };
        }
        case 'message_delta':
          merge(json['usage']);
          return { ...NOTHING, hasContent: true, usage: usageFacts(usage) };
        case 'message_stop':
          return { ...NOTHING, done: true };
        case 'error': {
          const e = isRecord(json['error']) ? json['error'] : {};
          return {
            ...NOTHING,
            error: anthropicErrorAsChat(String(e['type'] ?? 'api_error'), String(e['message'] ?? 'stream error')),
          };
        }
        default:
          return NOTHING;
      }
    },
    frame(payload) {
      return `event: ${lastType}\ndata: ${payload}\n\n`;
    },
  };
}

/** Usage of a whole Anthropic message, read for the usage record of a pass-through answer. */
export function anthropicUsageOf(text: string): PassthroughFacts['usage'] {
  try {
    const json: unknown = JSON.parse(text);
    return isRecord(json) && isRecord(json['usage']) ? usageFacts(json['usage'] as AnthropicUsage) : null;
  } catch {
    return null;
  }
}
