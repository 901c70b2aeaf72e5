import { isRecord } from './mock-answer';

/**
 * The conversation rules OpenAI's chat completions endpoint enforces on tool use
 * (https://platform.openai.com/docs/guides/function-calling), so a gateway that builds chat
 * requests (a client dialect's converter) is held to them: the mock answers 400 where OpenAI does.
 * Returns the error message, or null when the request is acceptable (or uses no tools).
 */
export function chatToolRuleViolation(body: Record<string, unknown>): string | null {
  const messages = body['messages'];
  const tools = body['tools'];
  const usesTools =
    tools !== undefined ||
    body['tool_choice'] !== undefined ||
    (Array.isArray(messages) &&
      messages.some((m) => isRecord(m) && (m['role'] === 'tool' || m['tool_calls'] !== undefined)));
  // Only tool use is checked: the fault tests send minimal bodies on purpose.
  if (!usesTools || !Array.isArray(messages)) return null;
  const names = new Set<string>();
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return "'tools' must be an array";
    for (const [i, tool] of tools.entries()) {
      const fn = isRecord(tool) && tool['type'] === 'function' && isRecord(tool['function']) ? tool['function'] : null;
      const name = fn?.['name'];
      if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(name))
        return `Invalid 'tools[${i}].function.name': string does not match pattern '^[a-zA-Z0-9_-]{1,64}$'.`;
      if (names.has(name)) return `Invalid 'tools': duplicate function name '${name}'.`;
      names.add(name);
    }
  }
  const choice = body['tool_choice'];
  if (choice !== undefined && tools === undefined)
    return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
  if (isRecord(choice)) {
    const name = isRecord(choice['function']) ? choice['function']['name'] : undefined;
    if (typeof name !== 'string' || !names.has(name))
      return "Invalid 'tool_choice': no function with that name in 'tools'.";
  }
  if (body['max_tokens'] !== undefined && body['max_completion_tokens'] !== undefined)
    return "'max_tokens' and 'max_completion_tokens' cannot both be set.";
  let open: Set<string> | null = null;
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m)) return `Invalid 'messages[${i}]': expected an object.`;
    const role = m['role'];
    if (role === 'tool') {
      const id = m['tool_call_id'];
      if (open === null || typeof id !== 'string' || !open.has(id))
        return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`;
      open.delete(id);
      continue;
    }
    if (open !== null && open.size > 0)
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
    open = null;
    if (!['system', 'developer', 'user', 'assistant'].includes(String(role)))
      return `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`;
    const calls = m['tool_calls'];
    if (role === 'assistant' && Array.isArray(calls) && calls.length > 0) {
      open = new Set();
      for (const call of calls) {
        const id = isRecord(call) ? call['id'] : undefined;
        const fn = isRecord(call) && isRecord(call['function']) ? call['function'] : null;
        if (typeof id !== 'string' || typeof fn?.['name'] !== 'string' || typeof fn['arguments'] !== 'string')
          return `Invalid 'messages[${i}].tool_calls': each call needs an id and a function with name and arguments.`;
        open.add(id);
      }
    } else if (role === 'assistant' && (m['content'] === null || m['content'] === undefined))
      return `Invalid 'messages[${i}]': an assistant message needs content or tool_calls.`;
  }
  return null;
}
