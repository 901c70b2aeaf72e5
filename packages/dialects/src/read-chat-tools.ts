import { err, isRecord, ok } from './result';
import type { DialectError, Result } from './dialect';

export interface ToolDefinition {
  name: string;
  description?: string;
  /** A JSON Schema object, as the client sent it. */
  parameters?: Record<string, unknown>;
}

export type ToolChoice = { kind: 'auto' } | { kind: 'none' } | { kind: 'required' } | { kind: 'named'; name: string };

export interface ChatTools {
  tools: ToolDefinition[];
  /** Null when the client sent no `tool_choice` (the backend's own default applies). */
  choice: ToolChoice | null;
}

/** `tools` and `tool_choice` of an OpenAI Chat request (function tools only). */
export function readChatTools(body: Record<string, unknown>): Result<ChatTools, DialectError> {
  const raw = body['tools'];
  const tools: ToolDefinition[] = [];
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) return err({ message: 'tools must be an array', param: 'tools' });
    for (const [i, tool] of raw.entries()) {
      const fn = isRecord(tool) ? tool['function'] : undefined;
      if (!isRecord(tool) || tool['type'] !== 'function' || !isRecord(fn) || typeof fn['name'] !== 'string')
        return err({ message: `tools[${i}] must be a function tool with a name`, param: `tools[${i}]` });
      const def: ToolDefinition = { name: fn['name'] };
      if (typeof fn['description'] === 'string') def.description = fn['description'];
      if (isRecord(fn['parameters'])) def.parameters = fn['parameters'];
      tools.push(def);
    }
  }
  const choice = body['tool_choice'];
  if (choice === undefined || choice === null) return ok({ tools, choice: null });
  if (choice === 'auto' || choice === 'none' || choice === 'required') return ok({ tools, choice: { kind: choice } });
  const fn = isRecord(choice) ? choice['function'] : undefined;
  if (isRecord(fn) && typeof fn['name'] === 'string') {
    if (!tools.some((t) => t.name === fn['name']))
      return err({ message: `tool_choice names "${fn['name']}", which is not in tools`, param: 'tool_choice' });
    return ok({ tools, choice: { kind: 'named', name: fn['name'] } });
  }
  return err({ message: 'tool_choice must be "auto", "none", "required" or a named function', param: 'tool_choice' });
}
