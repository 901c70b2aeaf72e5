import { describe, expect, it } from 'vitest';
import { parseSseText } from '@aisbf/testkit';
import { chatAnswerAsSse, completeChatAnswer, reassembleChatStream } from './chat-answer';

const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'm1' };
const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...head,
  choices: [{ index: 0, finish_reason: null, ...choice }],
  ...extra,
});

describe('chat answers for the response cache', () => {
  it('reassembles text, tool calls, finish and usage from stream chunks, and replays them', () => {
    const whole = reassembleChatStream([
      chunk({ delta: { role: 'assistant', content: 'Hel' } }),
      chunk({ delta: { content: 'lo' } }),
      chunk({
        delta: {
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"a":' } }],
        },
      }),
      chunk({ delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }),
      chunk({ delta: {}, finish_reason: 'tool_calls' }),
      { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
    ])!;
    expect(whole).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 7,
      model: 'm1',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello',
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
    expect(completeChatAnswer(JSON.stringify(whole))).not.toBeNull();
    const sse = parseSseText(chatAnswerAsSse(whole, true));
    expect(sse).toMatchObject({ done: true, text: 'Hello', malformed: [], errors: [] });
    // Replaying and reassembling gives the same answer back.
    expect(reassembleChatStream(sse.json as Array<Record<string, unknown>>)).toEqual(whole);
    expect(
      parseSseText(chatAnswerAsSse(whole, false)).json.some((c) => (c as { usage?: unknown }).usage !== undefined),
    ).toBe(false);
  });

  it('an answer without a finish reason, without choices, or an error is not complete', () => {
    const unfinished = reassembleChatStream([chunk({ delta: { role: 'assistant', content: 'Hel' } })]);
    expect(completeChatAnswer(JSON.stringify(unfinished))).toBeNull();
    expect(completeChatAnswer('{"id":"x","choices":[]}')).toBeNull();
    expect(completeChatAnswer('{"error":{"message":"no"}}')).toBeNull();
    expect(
      completeChatAnswer('{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"cut'),
    ).toBeNull();
    expect(reassembleChatStream([])).toBeNull();
  });
});
