/** What a client saw in an SSE body, for byte-wise assertions on streams (docs/reliability.md). */
export interface SseTranscript {
  /** Every `data:` payload in order, `[DONE]` included. */
  data: string[];
  /** Payloads that parsed as JSON, in order. */
  json: unknown[];
  /** Payloads that were neither JSON nor `[DONE]`. */
  malformed: string[];
  /** True when the last payload is `[DONE]`. */
  done: boolean;
  /** Concatenated `choices[0].delta.content` (chat) or `choices[0].text` (completions). */
  text: string;
  /** `data: {"error": …}` payloads. */
  errors: unknown[];
}

export function parseSseText(body: string): SseTranscript {
  const data: string[] = [];
  for (const event of body.replace(/\r\n/g, '\n').split('\n\n')) {
    const lines = event.split('\n').filter((line) => line.startsWith('data:'));
    if (lines.length === 0) continue;
    data.push(lines.map((line) => line.slice(5).replace(/^ /, '')).join('\n'));
  }
  const json: unknown[] = [];
  const malformed: string[] = [];
  const errors: unknown[] = [];
  let text = '';
  for (const payload of data) {
    if (payload === '[DONE]') continue;
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      malformed.push(payload);
      continue;
    }
    json.push(value);
    if (typeof value !== 'object' || value === null) continue;
    const record = value as { error?: unknown; choices?: Array<{ delta?: { content?: unknown }; text?: unknown }> };
    if (record.error !== undefined) errors.push(record.error);
    const choice = record.choices?.[0];
    const piece = choice?.delta?.content ?? choice?.text;
    if (typeof piece === 'string') text += piece;
  }
  return { data, json, malformed, done: data[data.length - 1] === '[DONE]', text, errors };
}
