import { isRecord } from './mock-answer';

/**
 * What Ollama's `/api/chat` refuses, worded as it words it (Go's JSON decoder and its handlers,
 * https://github.com/ollama/ollama/blob/main/docs/api.md): a missing model, content that is not a
 * string, tool call arguments that are not an object, images that are not base64, a format that is
 * neither "json" nor a schema object. Unknown `options` are accepted (Ollama only logs them).
 */
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const goType = (v: unknown): string =>
  Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v;

export function validateOllamaChat(body: unknown): string | null {
  if (!isRecord(body)) return 'json: cannot unmarshal into Go value of type api.ChatRequest';
  if (typeof body['model'] !== 'string' || body['model'] === '') return 'model is required';
  const messages = body['messages'] ?? [];
  if (!Array.isArray(messages))
    return `json: cannot unmarshal ${goType(messages)} into Go struct field ChatRequest.messages of type []api.Message`;
  for (const m of messages) {
    if (!isRecord(m)) return 'json: cannot unmarshal into Go struct field ChatRequest.messages of type api.Message';
    if (typeof m['content'] !== 'string' && m['content'] !== undefined)
      return `json: cannot unmarshal ${goType(m['content'])} into Go struct field Message.messages.content of type string`;
    if (!ROLES.has(String(m['role']))) return `invalid role: ${String(m['role'])}`;
    const images = m['images'];
    if (
      images !== undefined &&
      (!Array.isArray(images) || !images.every((i) => typeof i === 'string' && BASE64.test(i)))
    )
      return 'illegal base64 data at input byte 4';
    const calls = m['tool_calls'];
    if (calls !== undefined) {
      if (!Array.isArray(calls)) return 'json: cannot unmarshal into Go struct field Message.messages.tool_calls';
      for (const c of calls) {
        const fn = isRecord(c) ? c['function'] : undefined;
        if (!isRecord(fn) || typeof fn['name'] !== 'string')
          return 'json: cannot unmarshal into Go struct field ToolCall.messages.tool_calls.function';
        if (fn['arguments'] !== undefined && !isRecord(fn['arguments']))
          return `json: cannot unmarshal ${goType(fn['arguments'])} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments`;
      }
    }
  }
  const format = body['format'];
  if (format !== undefined && format !== '' && format !== 'json' && !isRecord(format))
    return `invalid format: "${String(format)}"; expected "json" or a valid JSON Schema`;
  if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean')
    return `json: cannot unmarshal ${goType(body['stream'])} into Go struct field ChatRequest.stream of type bool`;
  if (body['options'] !== undefined && !isRecord(body['options']))
    return `json: cannot unmarshal ${goType(body['options'])} into Go struct field ChatRequest.options of type map[string]interface {}`;
  return null;
}
