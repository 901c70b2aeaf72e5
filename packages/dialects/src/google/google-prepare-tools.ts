import type { ChatTools } from '../read-chat-tools';
import type { GoogleRequest } from './google-api';

/**
 * OpenAI `tools`/`tool_choice` as Gemini `tools[].functionDeclarations` and `toolConfig`
 * (https://ai.google.dev/gemini-api/docs/function-calling): `required` is mode ANY, a named
 * function is ANY restricted to that name.
 */
export function googlePrepareTools(chat: ChatTools): Pick<GoogleRequest, 'tools' | 'toolConfig'> {
  if (chat.tools.length === 0) return {};
  const out: Pick<GoogleRequest, 'tools' | 'toolConfig'> = {
    tools: [
      {
        functionDeclarations: chat.tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          ...(t.parameters !== undefined ? { parametersJsonSchema: t.parameters } : {}),
        })),
      },
    ],
  };
  const choice = chat.choice;
  if (choice === null) return out;
  const mode = choice.kind === 'auto' ? 'AUTO' : choice.kind === 'none' ? 'NONE' : 'ANY';
  out.toolConfig = {
    functionCallingConfig: { mode, ...(choice.kind === 'named' ? { allowedFunctionNames: [choice.name] } : {}) },
  };
  return out;
}
