import type { ChatTool, ChatToolChoice } from '../chat-types';

/** What a chat tool name stands for on the Responses side, so a call can be given back its shape. */
export interface ToolOrigin {
  kind: 'function' | 'custom';
  name: string;
  namespace?: string;
}

/** Chat tool name → its Responses tool. */
export type ToolNames = ReadonlyMap<string, ToolOrigin>;

export interface PreparedTools {
  tools: ChatTool[];
  toolChoice: ChatToolChoice | undefined;
  names: ToolNames;
  /** Responses tool types that had no chat equivalent and were left out (docs/clients.md). */
  dropped: string[];
}

/** Chat function names allow `[A-Za-z0-9_-]`; a namespaced tool becomes `{namespace}__{name}`. */
export const namespacedName = (namespace: string, name: string): string => `${namespace}__${name}`;

const EMPTY_PARAMETERS = { type: 'object', properties: {} };

/** A custom (freeform) tool becomes a function with one string argument, `input`. */
const CUSTOM_PARAMETERS = {
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input for this tool.' } },
  required: ['input'],
  additionalProperties: false,
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Responses `tools` and `tool_choice` → chat `tools` and `tool_choice`. Function tools map one to
 * one; the functions of a `namespace` tool become `{namespace}__{name}`; a `custom` tool becomes a
 * function taking `{"input": string}` (its grammar, if any, is quoted in the description). Hosted
 * tools (`web_search`, `file_search`, `code_interpreter`, `mcp`, `image_generation`, `computer…`,
 * `local_shell`, `shell`, `apply_patch`, `tool_search`, …) run inside OpenAI's service: a chat
 * backend cannot run them, so they are left out, and a `tool_choice` naming one becomes `auto`.
 */
export function prepareResponsesTools(tools: unknown[] | null | undefined, toolChoice: unknown): PreparedTools {
  const out: ChatTool[] = [];
  const names = new Map<string, ToolOrigin>();
  const dropped: string[] = [];
  const add = (chatName: string, origin: ToolOrigin, tool: Omit<ChatTool['function'], 'name'>): void => {
    if (names.has(chatName)) return;
    names.set(chatName, origin);
    out.push({ type: 'function', function: { name: chatName, ...tool } });
  };
  const addFunction = (raw: Record<string, unknown>, namespace?: string): void => {
    const name = str(raw['name']);
    if (name === undefined || name === '') return;
    const description = str(raw['description']);
    const parameters = isRecord(raw['parameters']) ? raw['parameters'] : EMPTY_PARAMETERS;
    const strict = typeof raw['strict'] === 'boolean' ? raw['strict'] : undefined;
    add(
      namespace === undefined ? name : namespacedName(namespace, name),
      namespace === undefined ? { kind: 'function', name } : { kind: 'function', name, namespace },
      {
        ...(description === undefined ? {} : { description }),
        parameters,
        ...(strict === undefined ? {} : { strict }),
      },
    );
  };
  const addCustom = (raw: Record<string, unknown>, namespace?: string): void => {
    const name = str(raw['name']);
    if (name === undefined || name === '') return;
    const format = isRecord(raw['format']) ? raw['format'] : undefined;
    const grammar =
      format?.['type'] === 'grammar' && typeof format['definition'] === 'string'
        ? `\n\nThe input must follow this ${str(format['syntax']) ?? ''} grammar:\n${format['definition']}`
        : '';
    add(
      namespace === undefined ? name : namespacedName(namespace, name),
      namespace === undefined ? { kind: 'custom', name } : { kind: 'custom', name, namespace },
      { description: `${str(raw['description']) ?? ''}${grammar}`.trim(), parameters: CUSTOM_PARAMETERS },
    );
  };
  for (const tool of tools ?? []) {
    if (!isRecord(tool)) continue;
    const type = str(tool['type']) ?? '';
    if (type === 'function') addFunction(tool);
    else if (type === 'custom') addCustom(tool);
    else if (type === 'namespace' && typeof tool['name'] === 'string' && Array.isArray(tool['tools'])) {
      for (const inner of tool['tools']) {
        if (!isRecord(inner)) continue;
        if (inner['type'] === 'custom') addCustom(inner, tool['name']);
        else addFunction(inner, tool['name']);
      }
    } else dropped.push(type);
  }
  return { tools: out, toolChoice: out.length === 0 ? undefined : chatToolChoice(toolChoice, names), names, dropped };
}

function chatToolChoice(choice: unknown, names: ToolNames): ChatToolChoice | undefined {
  if (choice === 'none' || choice === 'auto' || choice === 'required') return choice;
  if (!isRecord(choice)) return undefined;
  const type = choice['type'];
  if (type === 'allowed_tools') return choice['mode'] === 'required' ? 'required' : 'auto';
  if (type === 'function' || type === 'custom') {
    const name = str(choice['name']);
    for (const [chatName, origin] of names)
      if (origin.name === name && origin.namespace === undefined)
        return { type: 'function', function: { name: chatName } };
  }
  // A hosted tool (or a name that is not among the tools): let the model choose.
  return 'auto';
}
