/** What the playground shows of an answer: the gateway's own headers, in this order. */
export const SHOWN_HEADERS = [
  'x-aisbf-route',
  'x-aisbf-provider',
  'x-aisbf-model',
  'x-aisbf-attempts',
  'x-aisbf-failover',
  'x-aisbf-autoselect-reason',
  'x-aisbf-condensed',
  'x-aisbf-cache',
  'x-request-id',
] as const;

export function pickHeaders(headers: Headers): Array<[string, string]> {
  return SHOWN_HEADERS.flatMap((name) => {
    const value = headers.get(name);
    return value === null ? [] : [[name, value] as [string, string]];
  });
}

/**
 * Text of an OpenAI chat stream so far, from the raw SSE text: the `content` deltas in order, and an
 * `error` event's message (the gateway ends a failed stream with one) as `[error] …`.
 */
export function streamText(sse: string): string {
  let text = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    try {
      const event = JSON.parse(data) as {
        choices?: Array<{ delta?: { content?: string | null } }>;
        error?: { message?: string };
      };
      if (event.error?.message !== undefined) text += `\n[error] ${event.error.message}`;
      text += event.choices?.[0]?.delta?.content ?? '';
    } catch {
      // A partial last line: the next read completes it.
    }
  }
  return text;
}

/** Text of a whole (non-stream) answer, or the error's message in the gateway's OpenAI shape. */
export function answerText(body: unknown): string {
  const b = body as { choices?: Array<{ message?: { content?: string | null } }>; error?: { message?: string } };
  if (b?.error?.message !== undefined) return `[error] ${b.error.message}`;
  return b?.choices?.[0]?.message?.content ?? '';
}
