import { err, isRecord, ok, parseJson } from '../result';
import type { DialectError, Result } from '../dialect';
import type { PromptMessage, PromptPart } from '../read-chat-prompt';
import type { GoogleContent, GooglePart, GoogleRequest } from './google-api';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
};

function userPart(part: PromptPart): GooglePart {
  if (part.type === 'text') return { text: part.text };
  if (part.inline !== null) return { inlineData: { mimeType: part.inline.mimeType, data: part.inline.base64 } };
  const ext = /\.([a-z0-9]+)(?:$|[?#])/i.exec(part.url)?.[1]?.toLowerCase();
  const mimeType = ext === undefined ? undefined : IMAGE_TYPES[ext];
  return { fileData: { ...(mimeType !== undefined ? { mimeType } : {}), fileUri: part.url } };
}

/**
 * A tool result as `functionResponse.response`, which must be a JSON object: an object result is
 * sent as it is, anything else under `output` (the key the Gemini API reference names for it).
 */
function toolResponse(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  return parsed.ok && isRecord(parsed.value) ? parsed.value : { output: parsed.ok ? parsed.value : text };
}

/**
 * OpenAI messages as Gemini `contents` plus `systemInstruction` (https://ai.google.dev/api/caching#Content):
 * roles `user`/`model`; every system message goes to the one system instruction (Gemini has no
 * system turn); the results of one assistant turn's parallel calls go back together in one `user`
 * content, as the API requires one function response per call of that turn.
 */
export function convertToGoogleContents(
  prompt: readonly PromptMessage[],
): Result<Pick<GoogleRequest, 'contents' | 'systemInstruction'>, DialectError> {
  const system: string[] = [];
  const contents: GoogleContent[] = [];
  let last: PromptMessage | undefined;
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        system.push(message.text);
        break;
      case 'user':
        contents.push({ role: 'user', parts: message.parts.map(userPart) });
        break;
      case 'assistant': {
        const parts: GooglePart[] = [];
        if (message.text !== '') parts.push({ text: message.text });
        for (const call of message.toolCalls) parts.push({ functionCall: { name: call.name, args: call.args } });
        if (parts.length > 0) contents.push({ role: 'model', parts });
        break;
      }
      case 'tool': {
        const part: GooglePart = { functionResponse: { name: message.name, response: toolResponse(message.text) } };
        const previous = contents.at(-1);
        if (last?.role === 'tool' && previous !== undefined) previous.parts.push(part);
        else contents.push({ role: 'user', parts: [part] });
        break;
      }
    }
    last = message;
  }
  if (contents.length === 0)
    return err({
      message: 'messages needs at least one user or assistant message for this backend',
      param: 'messages',
    });
  const out: Pick<GoogleRequest, 'contents' | 'systemInstruction'> = { contents };
  const text = system.filter((s) => s !== '').join('\n\n');
  if (text !== '') out.systemInstruction = { parts: [{ text }] };
  return ok(out);
}
