import { safeJsonParse } from '@aisbf/core';

/**
 * A cached chat answer is kept as one whole `chat.completion` JSON. These helpers turn a relayed
 * stream into that shape, check an answer is complete, and replay it as a well-formed SSE stream
 * (the chunk shape the proxy relays, ending with `[DONE]`).
 */

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ToolCallAcc {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceAcc {
  index: number;
  role: string;
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCallAcc>;
  finishReason: string | null;
}

/** Reassembles relayed `chat.completion.chunk` payloads; null when nothing usable arrived. */
export function reassembleChatStream(chunks: readonly Json[]): Json | null {
  let head: Json | null = null;
  let usage: unknown;
  const choices = new Map<number, ChoiceAcc>();
  for (const chunk of chunks) {
    if (head === null && typeof chunk['id'] === 'string') head = chunk;
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) usage = chunk['usage'];
    const list = chunk['choices'];
    if (!Array.isArray(list)) continue;
    for (const raw of list as unknown[]) {
      if (!isRecord(raw)) continue;
      const index = typeof raw['index'] === 'number' ? raw['index'] : 0;
      let acc = choices.get(index);
      if (acc === undefined) {
        acc = { index, role: 'assistant', content: null, refusal: null, toolCalls: new Map(), finishReason: null };
        choices.set(index, acc);
      }
      const delta = raw['delta'];
      if (isRecord(delta)) {
        if (typeof delta['role'] === 'string') acc.role = delta['role'];
        if (typeof delta['content'] === 'string') acc.content = (acc.content ?? '') + delta['content'];
        if (typeof delta['refusal'] === 'string') acc.refusal = (acc.refusal ?? '') + delta['refusal'];
        if (Array.isArray(delta['tool_calls'])) {
          for (const call of delta['tool_calls'] as unknown[]) {
            if (!isRecord(call)) continue;
            const at = typeof call['index'] === 'number' ? call['index'] : acc.toolCalls.size;
            const t = acc.toolCalls.get(at) ?? { name: '', arguments: '' };
            if (typeof call['id'] === 'string') t.id = call['id'];
            if (typeof call['type'] === 'string') t.type = call['type'];
            const fn = call['function'];
            if (isRecord(fn)) {
              if (typeof fn['name'] === 'string') t.name += fn['name'];
              if (typeof fn['arguments'] === 'string') t.arguments += fn['arguments'];
            }
            acc.toolCalls.set(at, t);
          }
        }
      }
      if (typeof raw['finish_reason'] === 'string') acc.finishReason = raw['finish_reason'];
    }
  }
  if (head === null || choices.size === 0) return null;
  const answer: Json = { id: head['id'], object: 'chat.completion', created: head['created'], model: head['model'] };
  if (head['system_fingerprint'] !== undefined) answer['system_fingerprint'] = head['system_fingerprint'];
  answer['choices'] = [...choices.values()]
    .sort((a, b) => a.index - b.index)
    .map((c) => {
      const message: Json = { role: c.role, content: c.content };
      if (c.refusal !== null) message['refusal'] = c.refusal;
      if (c.toolCalls.size > 0) {
        message['tool_calls'] = [...c.toolCalls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, t]) => ({
            id: t.id,
            type: t.type ?? 'function',
            function: { name: t.name, arguments: t.arguments },
          }));
      }
      return { index: c.index, message, finish_reason: c.finishReason };
    });
  if (usage !== undefined) answer['usage'] = usage;
  return answer;
}

/** A whole answer worth keeping: an object with choices, each finished (a finish_reason). */
export function completeChatAnswer(text: string): Json | null {
  const parsed = safeJsonParse(text);
  if (!parsed.ok || !isRecord(parsed.value)) return null;
  const answer = parsed.value;
  if (answer['error'] !== undefined) return null;
  const choices = answer['choices'];
  if (!Array.isArray(choices) || choices.length === 0) return null;
  for (const c of choices as unknown[]) {
    if (!isRecord(c) || typeof c['finish_reason'] !== 'string' || !isRecord(c['message'])) return null;
  }
  return answer;
}

/** Replays a stored `chat.completion` as SSE: per choice its message, then its finish, then usage. */
export function chatAnswerAsSse(answer: Json, includeUsage: boolean): string {
  const base: Json = {
    id: answer['id'],
    object: 'chat.completion.chunk',
    created: answer['created'],
    model: answer['model'],
  };
  if (answer['system_fingerprint'] !== undefined) base['system_fingerprint'] = answer['system_fingerprint'];
  let out = '';
  const send = (extra: Json): void => {
    out += `data: ${JSON.stringify({ ...base, ...extra })}\n\n`;
  };
  for (const raw of answer['choices'] as unknown[]) {
    if (!isRecord(raw) || !isRecord(raw['message'])) continue;
    const message = raw['message'];
    const delta: Json = {
      role: typeof message['role'] === 'string' ? message['role'] : 'assistant',
      content: typeof message['content'] === 'string' ? message['content'] : null,
    };
    if (typeof message['refusal'] === 'string') delta['refusal'] = message['refusal'];
    if (Array.isArray(message['tool_calls']))
      delta['tool_calls'] = (message['tool_calls'] as unknown[]).map((t, index) => (isRecord(t) ? { index, ...t } : t));
    send({ choices: [{ index: raw['index'] ?? 0, delta, finish_reason: null }] });
    send({ choices: [{ index: raw['index'] ?? 0, delta: {}, finish_reason: raw['finish_reason'] }] });
  }
  if (includeUsage && answer['usage'] !== undefined) send({ choices: [], usage: answer['usage'] });
  return `${out}data: [DONE]\n\n`;
}
