/**
 * The mock's deterministic answer: words `w1 … wN`, one per stream chunk. An assistant prefill
 * `w1 … wK` as the last message is continued with ` w(K+1) … wN`, so prefill + continuation is the
 * whole answer (docs/architecture.md "Mid-stream recovery").
 */

export interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
}

/** Text of a message content: a string, or the text parts of a content array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

export function lastMessage(body: unknown): ChatMessageLike | undefined {
  const messages = isRecord(body) ? body['messages'] : undefined;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const last: unknown = messages[messages.length - 1];
  return isRecord(last) ? last : undefined;
}

export function hasAssistantPrefill(body: unknown): boolean {
  return lastMessage(body)?.role === 'assistant';
}

/** K: how many leading words of the prefill are `w1 … wK` in order. */
export function prefillWordCount(body: unknown): number {
  const last = lastMessage(body);
  if (!last || last.role !== 'assistant') return 0;
  const tokens = contentText(last.content).trim().split(/\s+/);
  let k = 0;
  while (k < tokens.length && tokens[k] === `w${k + 1}`) k += 1;
  return k;
}

/** The pieces to send, one per content chunk: `w1`, ` w2`, … (continuations start with a space). */
export function answerPieces(totalWords: number, alreadySaid: number): string[] {
  const pieces: string[] = [];
  for (let i = alreadySaid + 1; i <= totalWords; i += 1) pieces.push(i === 1 ? 'w1' : ` w${i}`);
  return pieces;
}

/** Deterministic prompt size: whitespace-separated words in every message / prompt / input. */
export function promptTokenCount(body: unknown): number {
  if (!isRecord(body)) return 0;
  const texts: string[] = [];
  const messages = body['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isRecord(m)) texts.push(contentText(m['content']));
  for (const key of ['prompt', 'input'] as const) {
    const value = body[key];
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') texts.push(v);
  }
  let count = 0;
  for (const text of texts) {
    const trimmed = text.trim();
    if (trimmed !== '') count += trimmed.split(/\s+/).length;
  }
  return Math.max(1, count);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deterministic 8-dim embedding of a string (so equal inputs give equal vectors). */
export function embeddingOf(text: string): number[] {
  const vector: number[] = [];
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  for (let d = 0; d < 8; d += 1) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    vector.push(Math.round(((h % 2000) / 1000 - 1) * 1e6) / 1e6);
  }
  return vector;
}

/** OpenAI's `encoding_format: "base64"`: little-endian float32 bytes (the SDK asks for it by default). */
export function embeddingBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
