import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  answerPieces,
  embeddingBase64,
  embeddingOf,
  hasAssistantPrefill,
  isRecord,
  prefillWordCount,
  promptTokenCount,
} from './mock-answer';
import { chatToolRuleViolation } from './mock-chat-rules';
import type { MockFault, RecordedRequest } from './mock-fault';
import { respondToolAgent } from './mock-tool-agent';

export type MockEndpoint = 'models' | 'chat' | 'completions' | 'embeddings';

export interface MockExchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: RecordedRequest;
  endpoint: MockEndpoint;
  body: unknown;
  model: string;
  models: readonly string[];
  words: number;
  chunkDelayMs: number;
  /** Resolves true after `ms`, or false as soon as the exchange or the mock is closed. */
  wait(ms: number): Promise<boolean>;
  /** Marks the socket as closed by the mock itself (so `aborted` stays false), then destroys it. */
  cutSocket(reset: boolean): void;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

export function openAiError(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): { error: Record<string, string | null> } {
  return { error: { message, type, param, code } };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Applies `fault` to one recognised request. Unknown kinds never reach here (parseMockFault). */
export async function respond(x: MockExchange, fault: MockFault): Promise<void> {
  if (x.endpoint === 'chat' && isRecord(x.body)) {
    const violation = chatToolRuleViolation(x.body);
    if (violation !== null)
      return sendJson(x.res, 400, openAiError(violation, 'invalid_request_error', null, 'messages'));
  }
  switch (fault.kind) {
    case 'tool-call':
      if (x.endpoint !== 'chat') return respondOk(x, {});
      return respondToolAgent(x, fault.tool, fault.args);
    case 'status': {
      const body =
        fault.body ??
        openAiError(
          `mock upstream answered ${fault.status}`,
          fault.status >= 500 ? 'server_error' : 'invalid_request_error',
          null,
        );
      sendJson(x.res, fault.status, body, fault.headers);
      return;
    }
    case 'rate-limit':
      sendJson(
        x.res,
        429,
        openAiError('Rate limit reached for requests (mock)', 'requests', 'rate_limit_exceeded'),
        fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) },
      );
      return;
    case 'hang':
      return; // the socket stays open until the client or close() ends it
    case 'reset':
      x.cutSocket(true);
      return;
    case 'delay':
      if (!(await x.wait(fault.ms))) return;
      return respondOk(x, {});
    case 'context-length':
      if (x.endpoint === 'models') return respondOk(x, {});
      sendJson(
        x.res,
        400,
        openAiError(
          "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          'invalid_request_error',
          'context_length_exceeded',
          'messages',
        ),
      );
      return;
    case 'content-filter':
      if (x.endpoint === 'models') return respondOk(x, {});
      sendJson(
        x.res,
        400,
        openAiError(
          'Your request was rejected as a result of our safety system.',
          'invalid_request_error',
          'content_policy_violation',
          'prompt',
        ),
      );
      return;
    case 'refuse-prefill':
      if (x.endpoint === 'chat' && hasAssistantPrefill(x.body)) {
        sendJson(
          x.res,
          400,
          openAiError(
            'This model does not support assistant message prefill.',
            'invalid_request_error',
            'prefill_not_supported',
            'messages',
          ),
        );
        return;
      }
      return respondOk(x, {});
    case 'slow-first-token':
      return respondOk(x, { firstDelayMs: fault.delayMs });
    case 'cut':
      return respondOk(x, { cutAfter: fault.afterChunks });
    case 'stall':
      return respondOk(x, { stallAfter: fault.afterChunks });
    case 'malformed-chunk':
      return respondOk(x, { malformedAt: fault.atChunk });
    case 'no-done':
      return respondOk(x, { noDone: true });
    case 'ok':
      return respondOk(x, { chunkDelayMs: fault.chunkDelayMs, words: fault.words });
  }
}

interface Shape {
  firstDelayMs?: number;
  cutAfter?: number;
  stallAfter?: number;
  malformedAt?: number;
  noDone?: boolean;
  chunkDelayMs?: number | undefined;
  words?: number | undefined;
}

async function respondOk(x: MockExchange, shape: Shape): Promise<void> {
  const created = Math.floor(x.record.at / 1000);
  const id = `${x.endpoint === 'completions' ? 'cmpl' : 'chatcmpl'}-mock-${x.record.n}`;
  if (x.endpoint === 'models') {
    sendJson(x.res, 200, {
      object: 'list',
      data: x.models.map((m) => ({ id: m, object: 'model', created: 0, owned_by: 'mock' })),
    });
    return;
  }
  if (x.endpoint === 'embeddings') {
    const raw = isRecord(x.body) ? x.body['input'] : undefined;
    const inputs = Array.isArray(raw)
      ? raw.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
      : [typeof raw === 'string' ? raw : ''];
    const base64 = isRecord(x.body) && x.body['encoding_format'] === 'base64';
    const tokens = promptTokenCount(x.body);
    if (shape.firstDelayMs !== undefined && !(await x.wait(shape.firstDelayMs))) return;
    sendJson(x.res, 200, {
      object: 'list',
      model: x.model,
      data: inputs.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? embeddingBase64(embeddingOf(text)) : embeddingOf(text),
      })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
    return;
  }
  const alreadySaid = x.endpoint === 'chat' ? prefillWordCount(x.body) : 0;
  const pieces = answerPieces(shape.words ?? x.words, alreadySaid);
  const promptTokens = promptTokenCount(x.body);
  const stream = isRecord(x.body) && x.body['stream'] === true;
  if (!stream) return respondWhole(x, shape, { id, created, pieces, promptTokens });

  const includeUsage =
    isRecord(x.body) && isRecord(x.body['stream_options']) && x.body['stream_options']['include_usage'] === true;
  const chat = x.endpoint === 'chat';
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object: chat ? 'chat.completion.chunk' : 'text_completion', created, model: x.model, choices, ...extra })}\n\n`;
  const contentChoice = (piece: string, first: boolean): unknown =>
    chat
      ? {
          index: 0,
          delta: first ? { role: 'assistant', content: piece } : { content: piece },
          logprobs: null,
          finish_reason: null,
        }
      : { index: 0, text: piece, logprobs: null, finish_reason: null };

  x.res.writeHead(200, SSE_HEADERS);
  x.res.flushHeaders();
  if (shape.firstDelayMs !== undefined && !(await x.wait(shape.firstDelayMs))) return;
  const gap = shape.chunkDelayMs ?? x.chunkDelayMs;
  for (let i = 0; i <= pieces.length; i += 1) {
    if (shape.malformedAt === i) x.res.write('data: {not json\n\n');
    if (shape.cutAfter === i) {
      // Let the chunks already written reach the client before the connection dies.
      x.res.write('', () => x.cutSocket(false));
      return;
    }
    if (shape.stallAfter === i) return;
    if (i === pieces.length) break;
    if (i > 0 && gap > 0 && !(await x.wait(gap))) return;
    if (x.res.destroyed) return;
    x.res.write(frame([contentChoice(pieces[i] ?? '', i === 0)]));
    x.record.chunksSent += 1;
  }
  const finish = chat
    ? { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }
    : { index: 0, text: '', logprobs: null, finish_reason: 'stop' };
  x.res.write(frame([finish]));
  if (includeUsage) x.res.write(frame([], { usage: usageOf(promptTokens, pieces.length) }));
  x.res.end(shape.noDone ? undefined : 'data: [DONE]\n\n');
}

function usageOf(promptTokens: number, completionTokens: number): Record<string, number> {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

async function respondWhole(
  x: MockExchange,
  shape: Shape,
  a: { id: string; created: number; pieces: string[]; promptTokens: number },
): Promise<void> {
  const text = a.pieces.join('');
  const choice =
    x.endpoint === 'chat'
      ? {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        }
      : { index: 0, text, logprobs: null, finish_reason: 'stop' };
  const body = JSON.stringify({
    id: a.id,
    object: x.endpoint === 'chat' ? 'chat.completion' : 'text_completion',
    created: a.created,
    model: x.model,
    choices: [choice],
    usage: usageOf(a.promptTokens, a.pieces.length),
  });
  const partial = shape.cutAfter !== undefined || shape.stallAfter !== undefined;
  if (shape.firstDelayMs !== undefined || partial) {
    // Headers now, body later (or never): what a backend does when it stalls after the head.
    x.res.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
    x.res.flushHeaders();
  }
  if (shape.firstDelayMs !== undefined && !(await x.wait(shape.firstDelayMs))) return;
  if (partial) {
    x.res.write(body.slice(0, Math.floor(body.length / 2)));
    if (shape.cutAfter !== undefined) x.res.write('', () => x.cutSocket(false));
    return;
  }
  x.record.chunksSent = a.pieces.length;
  if (!x.res.headersSent) x.res.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
  x.res.end(body);
}
