import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../chat-types';
import { anthropicBackend, ANTHROPIC_DEFAULT_MAX_TOKENS } from './anthropic-backend';

const target = { model: 'claude-x', apiKey: 'sk-ant-test', defaultMaxTokens: null as number | null, stream: false };

/** The `data` payloads of an SSE transcript kept as a fixture file. */
const payloads = (name: string): string[] =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n\n')
    .map((frame) =>
      frame
        .split('\n')
        .find((l) => l.startsWith('data: '))
        ?.slice(6),
    )
    .filter((d): d is string => d !== undefined);

const build = (body: Record<string, unknown>, t: Partial<typeof target> & { prefill?: string } = {}) => {
  const r = anthropicBackend.buildChat({ model: 'route', ...body }, { ...target, ...t });
  if (!r.ok) throw new Error(r.error.message);
  return { ...r.value, json: JSON.parse(r.value.body) as Record<string, unknown> };
};

describe('anthropic backend: request', () => {
  it('hoists system prompts, always sends max_tokens, and sends the key as x-api-key', () => {
    const r = build({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(r.path).toBe('/v1/messages');
    expect(r.headers).toEqual({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' });
    expect(r.json).toEqual({
      model: 'claude-x',
      max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
    expect(build({ messages: [{ role: 'user', content: 'x' }] }, { defaultMaxTokens: 77 }).json['max_tokens']).toBe(77);
    expect(build({ messages: [{ role: 'user', content: 'x' }], max_tokens: 9 }).json['max_tokens']).toBe(9);
  });

  it('turns tool calls into tool_use and merges tool results into the following user turn', () => {
    const r = build({
      messages: [
        { role: 'user', content: 'weather and time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: '12:00' },
        { role: 'user', content: 'thanks' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(r.json['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather and time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '12:00' },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
    expect(r.json['tools']).toEqual([{ name: 'get_weather', input_schema: { type: 'object' } }]);
    expect(r.json['tool_choice']).toEqual({ type: 'any', disable_parallel_tool_use: true });
  });

  it('maps images, stop, tool_choice by name, and a prefill as the final assistant turn', () => {
    const r = build(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            ],
          },
        ],
        stop: 'END',
        temperature: 1.7,
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
      },
      { prefill: 'It is a ' },
    );
    expect(r.json['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'It is a' }] },
    ]);
    expect(r.json['stop_sequences']).toEqual(['END']);
    expect(r.json['temperature']).toBe(1);
    expect(r.json['tool_choice']).toEqual({ type: 'tool', name: 'f' });
  });

  it('refuses what it cannot express, naming the field', () => {
    const r = anthropicBackend.buildChat(
      {
        model: 'r',
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1' } }] },
        ],
      },
      target,
    );
    expect(r).toEqual({
      ok: false,
      error: {
        message: 'tool call arguments must be a JSON object',
        param: 'messages.0.tool_calls.0.function.arguments',
      },
    });
  });
});

describe('anthropic backend: answers', () => {
  it('parses a whole message: text, tool calls, stop reason, usage with cached tokens; thinking left out', () => {
    const r = anthropicBackend.parseChat(
      JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 's' },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 30, cache_creation_input_tokens: 2 },
      }),
      { model: 'claude-x', created: 1700000000 },
    );
    expect(r.ok && r.value).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'claude-x',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [
              { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            ],
            refusal: null,
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 42,
        completion_tokens: 5,
        total_tokens: 47,
        prompt_tokens_details: { cached_tokens: 30 },
      },
    });
  });

  it('transcodes a stream: text deltas, tool calls with argument deltas that join to JSON, stop, usage', () => {
    const t = anthropicBackend.createStreamTranscoder({ model: 'claude-x', created: 1 });
    const chunks: ChatChunk[] = [];
    for (const p of payloads('text-and-tool-use.sse.txt')) {
      const r = t.push(p);
      if (!r.ok) throw new Error(r.error);
      for (const c of r.value) if (!('error' in c)) chunks.push(c);
    }
    expect(t.end()).toEqual([]);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Checking the weather.');
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const c of chunks)
      for (const d of c.choices[0]?.delta.tool_calls ?? []) {
        const call = calls.get(d.index) ?? { args: '' };
        if (d.id !== undefined) call.id = d.id;
        if (d.function.name !== undefined) call.name = d.function.name;
        call.args += d.function.arguments ?? '';
        calls.set(d.index, call);
      }
    expect([...calls.values()].map((c) => [c.id, c.name, JSON.parse(c.args)])).toEqual([
      ['toolu_01', 'get_weather', { location: 'San Francisco, CA' }],
      ['toolu_02', 'get_time', {}],
    ]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 572, completion_tokens: 89, prompt_tokens_details: { cached_tokens: 100 } },
    });
    expect(chunks.every((c) => c.id === 'msg_01')).toBe(true);
  });

  it('turns a mid-stream overload into an error chunk', () => {
    const t = anthropicBackend.createStreamTranscoder({ model: 'claude-x', created: 1 });
    const out = payloads('overloaded-mid-stream.sse.txt').flatMap((p) => {
      const r = t.push(p);
      return r.ok ? r.value : [];
    });
    expect(out.at(-1)).toEqual({
      error: { message: 'Overloaded', type: 'server_error', code: 'overloaded', param: null },
    });
    expect(t.push('{"type":"content_block_delta"')).toMatchObject({ ok: false });
    expect(t.push('{"type":"some_future_event"}')).toEqual({ ok: true, value: [] });
  });

  it('maps errors onto the retry table: 529 as 503, a too-long prompt as context_length_exceeded', () => {
    const e = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });
    expect(anthropicBackend.mapError(529, e('overloaded_error', 'Overloaded'), {})).toMatchObject({
      status: 503,
      code: 'overloaded',
    });
    expect(
      anthropicBackend.mapError(
        400,
        e('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'),
        {},
      ),
    ).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect(anthropicBackend.mapError(429, e('rate_limit_error', 'slow down'), {})).toMatchObject({
      status: 429,
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
    expect(anthropicBackend.mapError(502, '<html>bad gateway</html>', {})).toMatchObject({
      status: 502,
      code: 'api_error',
    });
  });
});
