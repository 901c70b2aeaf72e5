import { describe, expect, it } from 'vitest';
import { responsesRequestSchema, type ResponsesItem } from './responses-api';
import { responsesToChat } from './responses-to-chat';

const parse = (body: unknown) => responsesRequestSchema.parse(body);

/** The shape Codex CLI sends (observed from 0.17x against a local server). */
const codexRequest = {
  model: 'gpt-5-codex',
  instructions: 'You are Codex.',
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>…</permissions>' }] },
    {
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_text', text: '<environment_context>cwd=/tmp</environment_context>' },
        { type: 'input_text', text: 'list the files' },
      ],
    },
    { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAAB…sealed' },
    { type: 'function_call', call_id: 'call_1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'a.txt\nb.txt' },
    { type: 'function_call_output', call_id: 'call_unknown', output: 'orphan' },
  ],
  tools: [
    {
      type: 'function',
      name: 'exec_command',
      description: 'Run a command',
      parameters: { type: 'object' },
      strict: false,
    },
    {
      type: 'namespace',
      name: 'mcp',
      description: 'MCP',
      tools: [{ type: 'function', name: 'fetch', parameters: null }],
    },
    { type: 'web_search', external_web_access: false },
    {
      type: 'custom',
      name: 'apply_patch',
      description: 'Patch files',
      format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' },
    },
  ],
  tool_choice: 'auto',
  parallel_tool_calls: false,
  reasoning: { effort: 'medium', summary: 'auto' },
  store: false,
  stream: true,
  include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'abc',
  max_output_tokens: 2000,
  text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
};

describe('responsesToChat', () => {
  it('turns what Codex sends into one chat request by the documented rules', () => {
    const turn = responsesToChat(parse(codexRequest));
    expect(turn.ok).toBe(true);
    if (!turn.ok) return;
    expect(turn.value.chat).toEqual({
      model: 'gpt-5-codex',
      stream: true,
      messages: [
        { role: 'system', content: 'You are Codex.' },
        { role: 'system', content: '<permissions>…</permissions>' },
        { role: 'user', content: '<environment_context>cwd=/tmp</environment_context>\nlist the files' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'a.txt\nb.txt' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'exec_command',
            description: 'Run a command',
            parameters: { type: 'object' },
            strict: false,
          },
        },
        { type: 'function', function: { name: 'mcp__fetch', parameters: { type: 'object', properties: {} } } },
        {
          type: 'function',
          function: {
            name: 'apply_patch',
            description: 'Patch files\n\nThe input must follow this lark grammar:\nstart: "x"',
            parameters: {
              type: 'object',
              properties: { input: { type: 'string', description: 'The raw input for this tool.' } },
              required: ['input'],
              additionalProperties: false,
            },
          },
        },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      max_completion_tokens: 2000,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
    });
    expect([...turn.value.tools.entries()]).toEqual([
      ['exec_command', { kind: 'function', name: 'exec_command' }],
      ['mcp__fetch', { kind: 'function', name: 'fetch', namespace: 'mcp' }],
      ['apply_patch', { kind: 'custom', name: 'apply_patch' }],
    ]);
    expect(turn.value.echo.store).toBe(false);
  });

  it('continues a stored conversation: earlier items first, their calls visible to new outputs', () => {
    const history: ResponsesItem[] = [
      { type: 'message', role: 'user', content: 'run ls' },
      { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
    ];
    const turn = responsesToChat(
      parse({
        model: 'm',
        input: [{ type: 'custom_tool_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'ok' }] }],
      }),
      history,
    );
    expect(turn.ok && turn.value.chat.messages).toEqual([
      { role: 'user', content: 'run ls' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'ok' },
    ]);
    expect(turn.ok && turn.value.items).toHaveLength(3);
  });

  it('keeps images as image_url parts and a string input as one user message', () => {
    const turn = responsesToChat(
      parse({
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'what is this?' },
              { type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'low' },
              { type: 'input_image', file_id: 'file-1' },
            ],
          },
        ],
      }),
    );
    expect(turn.ok && turn.value.chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA', detail: 'low' } },
        ],
      },
    ]);
    const plain = responsesToChat(parse({ model: 'm', input: 'hi' }));
    expect(plain.ok && plain.value.chat.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('refuses what no backend can do with a message naming the field', () => {
    const bad = (body: Record<string, unknown>) => {
      const turn = responsesToChat(parse({ model: 'm', ...body }));
      return turn.ok ? null : turn.error;
    };
    expect(bad({ input: [{ type: 'function_call', name: 'f', arguments: '{}' }] })).toEqual({
      message: 'function_call needs a call_id',
      param: 'input.0.call_id',
    });
    expect(bad({ input: [{ role: 'robot', content: 'x' }] })?.param).toBe('input.0.role');
    expect(bad({ input: 'x', background: true })?.param).toBe('background');
    expect(bad({})?.param).toBe('input');
    expect(bad({ input: [{ type: 'reasoning', summary: [] }] })).toEqual({
      message: 'input holds no message a model can read.',
      param: 'input',
    });
  });

  it('maps tool_choice onto the chat tools, and hosted-tool choices to auto', () => {
    const tools = [{ type: 'function', name: 'f', parameters: {} }];
    const choice = (tool_choice: unknown) => {
      const turn = responsesToChat(parse({ model: 'm', input: 'x', tools, tool_choice }));
      return turn.ok ? turn.value.chat.tool_choice : null;
    };
    expect(choice({ type: 'function', name: 'f' })).toEqual({ type: 'function', function: { name: 'f' } });
    expect(choice({ type: 'web_search_preview' })).toBe('auto');
    expect(choice({ type: 'allowed_tools', mode: 'required', tools: [] })).toBe('required');
    expect(choice('none')).toBe('none');
    const none = responsesToChat(
      parse({ model: 'm', input: 'x', tools: [{ type: 'web_search' }], tool_choice: 'required' }),
    );
    expect(none.ok && 'tools' in none.value.chat).toBe(false);
    expect(none.ok && 'tool_choice' in none.value.chat).toBe(false);
  });
});
