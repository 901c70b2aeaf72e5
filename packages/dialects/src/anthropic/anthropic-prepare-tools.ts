import type { DialectError, Result } from '../dialect';
import { chatToolChoiceSchema, chatToolsSchema } from '../openai/chat-schema';

export interface AnthropicTools {
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>;
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string; disable_parallel_tool_use?: boolean };
}

/**
 * OpenAI `tools`, `tool_choice` and `parallel_tool_calls` → Anthropic's
 * (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use):
 * `required` is `any`, a named function is `tool`, `parallel_tool_calls: false` is
 * `disable_parallel_tool_use`. Non-function tools have no Messages form and are dropped.
 */
export function anthropicPrepareTools(body: Record<string, unknown>): Result<AnthropicTools, DialectError> {
  const out: AnthropicTools = {};
  if (body['tools'] !== undefined && body['tools'] !== null) {
    const tools = chatToolsSchema.safeParse(body['tools']);
    if (!tools.success)
      return { ok: false, error: { message: 'tools must be a list of function tools', param: 'tools' } };
    const list = [];
    for (const tool of tools.data) {
      if (tool.type !== 'function' || tool.function === undefined) continue;
      const fn = tool.function;
      list.push({
        name: fn.name,
        ...(fn.description === undefined ? {} : { description: fn.description }),
        input_schema: fn.parameters ?? { type: 'object', properties: {} },
      });
    }
    if (list.length > 0) out.tools = list;
  }
  const rawChoice = body['tool_choice'];
  if (rawChoice !== undefined && rawChoice !== null && out.tools !== undefined) {
    const choice = chatToolChoiceSchema.safeParse(rawChoice);
    if (!choice.success)
      return {
        ok: false,
        error: { message: 'tool_choice must be auto, none, required or a named function', param: 'tool_choice' },
      };
    const c = choice.data;
    out.tool_choice =
      c === 'auto'
        ? { type: 'auto' }
        : c === 'none'
          ? { type: 'none' }
          : c === 'required'
            ? { type: 'any' }
            : { type: 'tool', name: c.function.name };
  }
  if (body['parallel_tool_calls'] === false && out.tools !== undefined) {
    out.tool_choice ??= { type: 'auto' };
    if (out.tool_choice.type !== 'none') out.tool_choice.disable_parallel_tool_use = true;
  }
  return { ok: true, value: out };
}
