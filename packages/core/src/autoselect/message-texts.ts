/**
 * The text a conversation carries, as the privacy detector and the selection prompt see it.
 * Chat bodies are untrusted `unknown` here: the data plane validates the request shape elsewhere,
 * and this module must never throw on odd input (a detector that crashes would fail open).
 */
export interface MessageText {
  role: string;
  text: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Image parts are skipped, except a remote URL (it may carry `user:pass@`); inline base64 never is. */
function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  if (!isRecord(part)) return '';
  if (typeof part['text'] === 'string') return part['text'];
  const image = part['image_url'];
  const url = isRecord(image) ? image['url'] : image;
  if (typeof url === 'string' && !url.startsWith('data:')) return url;
  return '';
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    const text = partText(part);
    if (text !== '') texts.push(text);
  }
  return texts.join('\n');
}

/** Tool-call arguments are model output the client sends back: they can hold secrets too. */
function toolCallTexts(message: Record<string, unknown>): string[] {
  const texts: string[] = [];
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (isRecord(fn) && typeof fn['arguments'] === 'string') texts.push(fn['arguments']);
    }
  }
  const legacy = message['function_call'];
  if (isRecord(legacy) && typeof legacy['arguments'] === 'string') texts.push(legacy['arguments']);
  return texts;
}

/**
 * One entry per message with its role and all its text (string content, OpenAI content parts,
 * tool-call arguments). A bare string (a legacy `prompt`) counts as one user message.
 */
export function messageTexts(messages: readonly unknown[] | string): MessageText[] {
  if (typeof messages === 'string') return [{ role: 'user', text: messages }];
  const out: MessageText[] = [];
  for (const message of messages) {
    if (typeof message === 'string') {
      out.push({ role: 'user', text: message });
      continue;
    }
    if (!isRecord(message)) continue;
    const role = typeof message['role'] === 'string' ? message['role'] : 'user';
    const parts = [contentText(message['content']), ...toolCallTexts(message)].filter((t) => t !== '');
    out.push({ role, text: parts.join('\n') });
  }
  return out;
}
