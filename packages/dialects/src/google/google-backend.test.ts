import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../chat-types';
import type { BackendTarget } from '../dialect';
import { googleBackend } from './google-backend';

const target = (over: Partial<BackendTarget> = {}): BackendTarget => ({
  model: 'gemini-2.0-flash',
  apiKey: 'AIza-test',
  defaultMaxTokens: null,
  stream: false,
  ...over,
});

const build = (body: Record<string, unknown>, over: Partial<BackendTarget> = {}) => {
  const out = googleBackend.buildChat({ model: 'route', ...body }, target(over));
  if (!out.ok) throw new Error(out.error.message);
  return { ...out.value, json: JSON.parse(out.value.body) as Record<string, unknown> };
};

const weatherTool = {
  type: 'function',
  function: {
    name: 'weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

describe('googleBackend.buildChat', () => {
  it('puts system text in systemInstruction, turns in user/model contents, sampling in generationConfig', () => {
    const req = build({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'text', text: 'Again' }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      stop: 'END',
      seed: 7,
      response_format: { type: 'json_object' },
      logprobs: true,
    });
    expect(req.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(req.headers).toEqual({ 'x-goog-api-key': 'AIza-test' });
    expect(req.json).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        { role: 'user', parts: [{ text: 'Again' }] },
      ],
      generationConfig: {
        temperature: 0.2,
        topP: 0.9,
        maxOutputTokens: 50,
        stopSequences: ['END'],
        seed: 7,
        responseMimeType: 'application/json',
      },
    });
  });

  it('streams through streamGenerateContent as SSE, and continues a prefill as a final model turn', () => {
    const req = build({ messages: [{ role: 'user', content: 'Count' }] }, { stream: true, prefill: 'one two' });
    expect(req.path).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(req.json['contents']).toEqual([
      { role: 'user', parts: [{ text: 'Count' }] },
      { role: 'model', parts: [{ text: 'one two' }] },
    ]);
  });

  it('sends tools as functionDeclarations and a tool round trip as functionCall / functionResponse parts', () => {
    const req = build({
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'c2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'c2', content: 'sunny' },
      ],
    });
    expect(req.json['tools']).toEqual([
      {
        functionDeclarations: [
          { name: 'weather', description: 'Weather of a city', parametersJsonSchema: weatherTool.function.parameters },
        ],
      },
    ]);
    expect(req.json['toolConfig']).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] },
    });
    expect(req.json['generationConfig']).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
    });
    expect(req.json['contents']).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'weather', args: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { temp: 21 } } },
          { functionResponse: { name: 'weather', response: { output: 'sunny' } } },
        ],
      },
    ]);
  });

  it('maps tool_choice auto/none/required to AUTO/NONE/ANY', () => {
    const mode = (tool_choice: unknown) =>
      (
        build({ tools: [weatherTool], tool_choice, messages: [{ role: 'user', content: 'x' }] }).json['toolConfig'] as {
          functionCallingConfig: { mode: string };
        }
      ).functionCallingConfig.mode;
    expect([mode('auto'), mode('none'), mode('required')]).toEqual(['AUTO', 'NONE', 'ANY']);
  });

  it('sends data: images inline and http images as fileData', () => {
    const req = build({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(req.json['contents']).toEqual([
      {
        role: 'user',
        parts: [
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0=' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('refuses what Gemini cannot take, naming the field', () => {
    const fail = (body: Record<string, unknown>) => {
      const out = googleBackend.buildChat({ model: 'r', ...body }, target());
      return out.ok ? null : out.error;
    };
    expect(fail({ messages: [{ role: 'system', content: 'only this' }] })?.param).toBe('messages');
    expect(fail({ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] })?.param).toBe(
      'messages[0].tool_call_id',
    );
    expect(fail({ messages: [{ role: 'user', content: 'x' }], temperature: 'hot' })?.param).toBe('temperature');
    expect(
      fail({
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '[1]' } }] },
        ],
      })?.param,
    ).toBe('messages[0].tool_calls[0].function.arguments');
  });
});

describe('googleBackend.parseChat', () => {
  it('reads text, thoughts left out, usage with cached and thinking tokens', () => {
    const text = JSON.stringify({
      responseId: 'r1',
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'thinking…', thought: true }, { text: 'Hello ' }, { text: 'there' }],
          },
          finishReason: 'MAX_TOKENS',
        },
      ],
      usageMetadata: {
        promptTokenCount: 10,
        candidatesTokenCount: 4,
        thoughtsTokenCount: 3,
        cachedContentTokenCount: 6,
        totalTokenCount: 17,
      },
    });
    const out = googleBackend.parseChat(text, { model: 'gemini-2.0-flash', created: 100 });
    expect(out).toEqual({
      ok: true,
      value: {
        id: 'chatcmpl-r1',
        object: 'chat.completion',
        created: 100,
        model: 'gemini-2.0-flash',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, finish_reason: 'length' },
        ],
        usage: {
          prompt_tokens: 10,
          completion_tokens: 7,
          total_tokens: 17,
          prompt_tokens_details: { cached_tokens: 6 },
        },
      },
    });
  });

  it('turns function calls into tool_calls with ids and JSON arguments, finishing with tool_calls', () => {
    const text = JSON.stringify({
      responseId: 'r2',
      candidates: [
        { content: { parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] }, finishReason: 'STOP' },
      ],
    });
    const out = googleBackend.parseChat(text, { model: 'm', created: 1 });
    if (!out.ok) throw new Error(out.error);
    const choice = out.value.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      { id: 'call_r2_0_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
  });

  it('answers a blocked prompt as content_filter, and refuses a body that is not an answer', () => {
    const blocked = googleBackend.parseChat(JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' } }), {
      model: 'm',
      created: 1,
    });
    expect(blocked.ok && blocked.value.choices[0]?.finish_reason).toBe('content_filter');
    expect(googleBackend.parseChat('<html>', { model: 'm', created: 1 }).ok).toBe(false);
    expect(googleBackend.parseChat('{"candidates":"no"}', { model: 'm', created: 1 }).ok).toBe(false);
  });
});

describe('googleBackend stream', () => {
  const run = (events: unknown[]) => {
    const t = googleBackend.createStreamTranscoder({ model: 'm', created: 5 });
    const out: Array<ChatChunk | { error: unknown }> = [];
    for (const e of events) {
      const r = t.push(JSON.stringify(e));
      if (!r.ok) throw new Error(r.error);
      out.push(...r.value);
    }
    return [...out, ...t.end()];
  };

  it('yields text deltas, a whole function call as one argument delta, the finish and one usage trailer', () => {
    const chunks = run([
      {
        responseId: 's1',
        candidates: [{ content: { role: 'model', parts: [{ text: 'Let me ' }] } }],
        usageMetadata: { promptTokenCount: 8 },
      },
      { responseId: 's1', candidates: [{ content: { role: 'model', parts: [{ text: 'check.' }] } }] },
      {
        responseId: 's1',
        candidates: [
          {
            content: { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Rome' } } }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 5, totalTokenCount: 13 },
      },
    ]) as ChatChunk[];
    expect(chunks.map((c) => c.choices[0]?.delta ?? c.usage)).toEqual([
      { role: 'assistant', content: 'Let me ' },
      { content: 'check.' },
      {
        tool_calls: [
          {
            index: 0,
            id: 'call_s1_0_0',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Rome"}' },
          },
        ],
      },
      {},
      { prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 },
    ]);
    expect(chunks[3]?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-s1']));
  });

  it('passes an error event on as a canonical error, and refuses a payload that is not an event', () => {
    const t = googleBackend.createStreamTranscoder({ model: 'm', created: 5 });
    const out = t.push(JSON.stringify({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }));
    expect(out).toEqual({
      ok: true,
      value: [{ error: { message: 'overloaded', type: 'server_error', code: 'unavailable', param: null } }],
    });
    expect(t.push('not json').ok).toBe(false);
  });
});

describe('googleBackend.mapError', () => {
  const map = (status: number, error: Record<string, unknown>) =>
    googleBackend.mapError(status, JSON.stringify({ error }), {});
  it('maps google.rpc statuses onto the retry table', () => {
    expect(map(429, { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' })).toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
    expect(map(503, { code: 503, message: 'busy', status: 'UNAVAILABLE' }).status).toBe(503);
    expect(map(400, { code: 400, message: 'bad field', status: 'INVALID_ARGUMENT' })).toMatchObject({
      status: 400,
      error: { message: 'bad field', type: 'invalid_request_error' },
    });
    expect(
      map(400, {
        code: 400,
        message: 'The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).',
        status: 'INVALID_ARGUMENT',
      }).code,
    ).toBe('context_length_exceeded');
    expect(
      map(400, {
        code: 400,
        message: 'API key not valid.',
        status: 'INVALID_ARGUMENT',
        details: [{ reason: 'API_KEY_INVALID' }],
      }),
    ).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(googleBackend.mapError(502, '<html>bad gateway</html>', {}).status).toBe(502);
  });
});

describe('googleBackend embeddings and models', () => {
  it('sends one text to embedContent, several to batchEmbedContents, and answers base64 when asked', () => {
    const one = googleBackend.embeddings!.build(
      { model: 'r', input: 'hi', dimensions: 3 },
      target({ model: 'text-embedding-004' }),
    );
    expect(one.ok && one.value.path).toBe('/v1beta/models/text-embedding-004:embedContent');
    expect(one.ok && JSON.parse(one.value.body)).toEqual({
      model: 'models/text-embedding-004',
      content: { parts: [{ text: 'hi' }] },
      outputDimensionality: 3,
    });
    const many = googleBackend.embeddings!.build(
      { model: 'r', input: ['a', 'b'] },
      target({ model: 'text-embedding-004' }),
    );
    expect(many.ok && many.value.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    const parsed = googleBackend.embeddings!.parse(
      JSON.stringify({ embeddings: [{ values: [0.5, 1] }, { values: [2, -1] }] }),
      { input: ['a', 'b'], encoding_format: 'base64' },
      { model: 'e' },
    );
    if (!parsed.ok) throw new Error(parsed.error);
    const floats = new Float32Array(
      Uint8Array.from(atob(parsed.value.data[1]!.embedding as string), (c) => c.charCodeAt(0)).buffer,
    );
    expect([...floats]).toEqual([2, -1]);
    expect(googleBackend.embeddings!.build({ model: 'r', input: [[1, 2]] }, target()).ok).toBe(false);
  });

  it('lists models without their models/ prefix', () => {
    expect(
      googleBackend.models.parse({
        models: [{ name: 'models/gemini-2.0-flash' }, { name: 'models/text-embedding-004' }],
      }),
    ).toEqual(['gemini-2.0-flash', 'text-embedding-004']);
    // Google APIs leave an empty list out of the body.
    expect(googleBackend.models.parse({})).toEqual([]);
    expect(googleBackend.models.parse('nope')).toBeNull();
  });
});
