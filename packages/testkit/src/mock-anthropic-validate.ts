import { isRecord } from './mock-answer';

/**
 * What the real Messages API refuses (https://docs.anthropic.com/en/api/messages), checked in the
 * order it reports them, with its error wording where it is known. The fake is only useful if it
 * is as strict as the real API: an adapter that sends what Anthropic rejects must fail its tests.
 */
export interface AnthropicRefusal {
  status: number;
  type: string;
  message: string;
}

/** Top-level fields the Messages API takes; anything else is "Extra inputs are not permitted". */
const REQUEST_FIELDS = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'tools',
  'tool_choice',
  'metadata',
  'thinking',
  'service_tier',
  'container',
  'mcp_servers',
  'context_management',
  'output_config',
  'betas',
]);

const BLOCK_TYPES = new Set([
  'text',
  'image',
  'document',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
  'search_result',
  'server_tool_use',
  'web_search_tool_result',
]);

/**
 * The beta that lets `role: "system"` appear inside `messages` (what Claude Code sends with it);
 * API version 2026-10-21 takes system messages without it (the SDK's `SystemMessageParam`).
 */
export const MID_CONVERSATION_SYSTEM_BETA = 'mid-conversation-system-2026-04-07';
const SYSTEM_MESSAGES_VERSION = '2026-10-21';

/** The request's protocol headers: its betas and API version. */
export interface AnthropicProtocol {
  betas: readonly string[];
  version: string;
}

const bad = (message: string): AnthropicRefusal => ({ status: 400, type: 'invalid_request_error', message });

/** `countOnly`: `POST /v1/messages/count_tokens`, which takes no `max_tokens` and no `stream`. */
export function validateMessagesRequest(
  body: unknown,
  protocol: AnthropicProtocol,
  countOnly = false,
): AnthropicRefusal | null {
  if (!isRecord(body)) return bad('body: Input should be a valid dictionary');
  for (const key of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(key) || (countOnly && (key === 'max_tokens' || key === 'stream')))
      return bad(`${key}: Extra inputs are not permitted`);
  }
  if (typeof body['model'] !== 'string' || body['model'] === '') return bad('model: Field required');
  if (!countOnly) {
    const max = body['max_tokens'];
    if (max === undefined) return bad('max_tokens: Field required');
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
      return bad('max_tokens: Input should be a valid integer greater than or equal to 1');
  }
  const t = body['temperature'];
  if (t !== undefined && (typeof t !== 'number' || t < 0 || t > 1))
    return bad('temperature: Input should be less than or equal to 1');
  const system = body['system'];
  if (system !== undefined && typeof system !== 'string') {
    if (
      !Array.isArray(system) ||
      !system.every((b) => isRecord(b) && b['type'] === 'text' && typeof b['text'] === 'string')
    )
      return bad('system: Input should be a valid string or a list of text blocks');
  }
  const systemTurns =
    protocol.betas.includes(MID_CONVERSATION_SYSTEM_BETA) || protocol.version >= SYSTEM_MESSAGES_VERSION;
  return validateMessages(body['messages'], systemTurns) ?? validateTools(body);
}

function validateMessages(messages: unknown, systemTurns: boolean): AnthropicRefusal | null {
  if (!Array.isArray(messages)) return bad('messages: Field required');
  if (messages.length === 0) return bad('messages: at least one message is required');
  let pendingToolUses: string[] = [];
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m)) return bad(`messages.${i}: Input should be a valid dictionary`);
    const role = m['role'];
    if (role === 'system') {
      if (!systemTurns) return bad(`role 'system' is not supported on this model`);
    } else if (role !== 'user' && role !== 'assistant')
      return bad(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const content = m['content'];
    const last = i === messages.length - 1;
    let blocks: Array<Record<string, unknown>>;
    if (typeof content === 'string') {
      if (content === '' && !(last && role === 'assistant'))
        return bad(
          `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
        );
      blocks = content === '' ? [] : [{ type: 'text', text: content }];
    } else if (Array.isArray(content) && content.every(isRecord)) blocks = content;
    else return bad(`messages.${i}.content: Input should be a valid string or a list of content blocks`);
    if (blocks.length === 0 && !(last && role === 'assistant'))
      return bad(
        `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      );
    const results: string[] = [];
    const uses: string[] = [];
    for (const [j, b] of blocks.entries()) {
      const type = b['type'];
      if (typeof type !== 'string' || !BLOCK_TYPES.has(type))
        return bad(
          `messages.${i}.content.${j}.type: Input tag '${String(type)}' does not match any of the expected tags`,
        );
      if (type === 'text' && (typeof b['text'] !== 'string' || b['text'] === ''))
        return bad('messages: text content blocks must be non-empty');
      if (type === 'tool_use') {
        if (role !== 'assistant')
          return bad(`messages.${i}.content.${j}: tool_use blocks are only allowed in assistant messages`);
        if (typeof b['id'] !== 'string' || typeof b['name'] !== 'string' || !isRecord(b['input']))
          return bad(`messages.${i}.content.${j}: tool_use blocks need an id, a name and an input object`);
        uses.push(b['id']);
      }
      if (type === 'tool_result') {
        if (role !== 'user')
          return bad(`messages.${i}.content.${j}: tool_result blocks are only allowed in user messages`);
        if (typeof b['tool_use_id'] !== 'string') return bad(`messages.${i}.content.${j}.tool_use_id: Field required`);
        results.push(b['tool_use_id']);
      }
    }
    const unexpected = results.filter((id) => !pendingToolUses.includes(id));
    if (unexpected.length > 0)
      return bad(
        `messages.${i}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${unexpected.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    const missing = pendingToolUses.filter((id) => !results.includes(id));
    if (missing.length > 0)
      return bad(
        `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    pendingToolUses = uses;
    if (last && role === 'assistant') {
      const tail = blocks.at(-1);
      if (tail !== undefined && tail['type'] === 'text' && /\s$/.test(String(tail['text'])))
        return bad('messages: final assistant content cannot end with trailing whitespace');
    }
  }
  return null;
}

function validateTools(body: Record<string, unknown>): AnthropicRefusal | null {
  const tools = body['tools'];
  const names: string[] = [];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return bad('tools: Input should be a valid list');
    for (const [i, tool] of tools.entries()) {
      if (!isRecord(tool)) return bad(`tools.${i}: Input should be a valid dictionary`);
      const name = tool['name'];
      if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(name))
        return bad(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      if (tool['type'] === undefined || tool['type'] === 'custom') {
        const schema = tool['input_schema'];
        if (!isRecord(schema)) return bad(`tools.${i}.custom.input_schema: Field required`);
        if (schema['type'] !== 'object') return bad(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
      }
      names.push(name);
    }
  }
  const choice = body['tool_choice'];
  if (choice !== undefined) {
    if (!isRecord(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice['type'])))
      return bad("tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'");
    if (choice['type'] === 'tool' && (typeof choice['name'] !== 'string' || !names.includes(choice['name'])))
      return bad('tool_choice.tool.name: the named tool is not in tools');
  }
  return null;
}
