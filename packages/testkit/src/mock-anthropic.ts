import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerPieces, contentText, isRecord } from './mock-answer';
import { validateMessagesRequest } from './mock-anthropic-validate';

/**
 * A fake of the Anthropic Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`,
 * `GET /v1/models`), as strict as the real one (mock-anthropic-validate.ts) and checked against
 * the official `@anthropic-ai/sdk` (mock-anthropic.int.test.ts). Answers are deterministic: the
 * words `w1 … wN` (an assistant prefill `w1 … wK` is continued), or what `reply` scripts.
 */
export interface MockAnthropicOptions {
  /** Required `x-api-key`; absent = any key accepted (the header is still required). */
  apiKey?: string;
  models?: string[];
  /** Words of the default answer. Default 20. */
  words?: number;
  /** Scripted content blocks for a request (text and tool_use); null = the default answer. */
  reply?: (body: Record<string, unknown>) => MockAnthropicBlock[] | null;
  /** `cache_read_input_tokens` reported in every usage. Default 0. */
  cacheReadTokens?: number;
  /** Keep `requests` and `answers` (default true); a benchmark turns it off to stay small. */
  record?: boolean;
}

export type MockAnthropicBlock =
  { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown> };

export type MockAnthropicFault =
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /** Stream: the socket is destroyed after `afterDeltas` text deltas. */
  | { kind: 'cut'; afterDeltas: number }
  /** Stream: an `error` event (overloaded) after `afterDeltas` text deltas. */
  | { kind: 'error-event'; afterDeltas: number };

export interface MockAnthropicRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The body exactly as received (pass-through tests compare it with what the client sent). */
  raw: string;
}

export interface MockAnthropic {
  /** The base URL the Anthropic SDK takes (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly requests: MockAnthropicRequest[];
  /** The exact text of each successful `POST /v1/messages` answer, whole or streamed, in order. */
  readonly answers: string[];
  /** Faults for the next `POST /v1/messages` requests, one each, in order. */
  enqueue(...faults: MockAnthropicFault[]): void;
  close(): Promise<void>;
}

const words = (text: string): number => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);

export async function startMockAnthropic(options: MockAnthropicOptions = {}): Promise<MockAnthropic> {
  const models = options.models ?? ['claude-test-1'];
  const requests: MockAnthropicRequest[] = [];
  const answers: string[] = [];
  const faults: MockAnthropicFault[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;

  const error = (res: ServerResponse, status: number, type: string, message: string, headers = {}): void => {
    const body = JSON.stringify({ type: 'error', error: { type, message }, request_id: `req_mock_${counter}` });
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_mock_${counter}`, ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counter++;
    const path = (req.url ?? '/').split('?')[0]!;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    try {
      body = raw === '' ? null : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    if (options.record !== false) requests.push({ path, headers: req.headers, body, raw });
    // `x-api-key`, or since API version 2026-10-21 (the SDK's 1.x default) a bearer API key.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = req.headers['x-api-key'] ?? bearer;
    if (typeof key !== 'string' || (options.apiKey !== undefined && key !== options.apiKey))
      return error(res, 401, 'authentication_error', 'invalid x-api-key');
    if (req.method === 'GET' && path === '/v1/models') {
      const data = models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null }));
      return;
    }
    if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens'))
      return error(res, 404, 'not_found_error', `Not found: ${req.method} ${path}`);
    if (typeof req.headers['anthropic-version'] !== 'string')
      return error(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    if (body === undefined)
      return error(res, 400, 'invalid_request_error', 'There was an issue with your request body: invalid JSON');
    const betaHeader = req.headers['anthropic-beta'];
    const betas = (Array.isArray(betaHeader) ? betaHeader.join(',') : (betaHeader ?? ''))
      .split(',')
      .map((b) => b.trim());
    const countOnly = path === '/v1/messages/count_tokens';
    const refusal = validateMessagesRequest(body, { betas, version: req.headers['anthropic-version'] }, countOnly);
    if (refusal !== null) return error(res, refusal.status, refusal.type, refusal.message);
    const request = body as Record<string, unknown>;
    if (!models.includes(String(request['model'])))
      return error(res, 404, 'not_found_error', `model: ${String(request['model'])}`);
    const inputTokens = Math.max(1, promptWords(request));
    if (countOnly) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: inputTokens }));
      return;
    }
    const fault = faults.shift();
    if (fault?.kind === 'error') return error(res, fault.status, fault.type, fault.message, fault.headers);
    const { blocks, stopReason, outputTokens } = answer(request, options);
    const id = `msg_mock_${counter}`;
    const usage = {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: options.cacheReadTokens ?? 0,
    };
    const message = { id, type: 'message', role: 'assistant', model: request['model'], content: blocks };
    if (request['stream'] !== true) {
      const whole = JSON.stringify({ ...message, stop_reason: stopReason, stop_sequence: null, usage });
      if (options.record !== false) answers.push(whole);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_mock_${counter}` });
      res.end(whole);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const sent = options.record === false ? -1 : answers.push('') - 1;
    const send = (type: string, data: Record<string, unknown>): void => {
      const text = `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
      if (sent >= 0) answers[sent] += text;
      res.write(text);
    };
    send('message_start', {
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    send('ping', {});
    let deltas = 0;
    for (const [index, block] of blocks.entries()) {
      if (block['type'] === 'text') {
        send('content_block_start', { index, content_block: { type: 'text', text: '' } });
        for (const piece of String(block['text']).match(/\s*\S+/g) ?? []) {
          if (fault !== undefined && deltas === fault.afterDeltas) {
            if (fault.kind === 'cut') {
              // Let what was written reach the client first: a destroyed socket drops unsent bytes.
              await new Promise((resolve) => setTimeout(resolve, 20));
              return void res.destroy();
            }
            send('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
            return void res.end();
          }
          send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
          deltas++;
        }
      } else {
        send('content_block_start', { index, content_block: { ...block, input: {} } });
        const json = JSON.stringify(block['input']);
        const half = Math.floor(json.length / 2);
        for (const part of ['', json.slice(0, half), json.slice(half)])
          send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } });
      }
      send('content_block_stop', { index });
    }
    send('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    });
    send('message_stop', {});
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answers,
    enqueue: (...f) => faults.push(...f),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Words of the system prompt and every text/tool_result block: the deterministic `input_tokens`. */
function promptWords(body: Record<string, unknown>): number {
  let n = words(typeof body['system'] === 'string' ? body['system'] : contentText(body['system']));
  for (const m of body['messages'] as unknown[]) {
    if (!isRecord(m)) continue;
    const content = m['content'];
    n += words(typeof content === 'string' ? content : contentText(content));
    if (Array.isArray(content))
      for (const b of content) if (isRecord(b) && b['type'] === 'tool_result') n += words(contentText(b['content']));
  }
  return n;
}

let toolIds = 0;

function answer(
  body: Record<string, unknown>,
  options: MockAnthropicOptions,
): { blocks: Array<Record<string, unknown>>; stopReason: string; outputTokens: number } {
  const scripted = options.reply?.(body) ?? null;
  if (scripted !== null) {
    const blocks = scripted.map((b) => (b.type === 'tool_use' ? { ...b, id: `toolu_mock_${++toolIds}` } : b));
    const outputTokens = scripted.reduce((n, b) => n + (b.type === 'text' ? words(b.text) : 10), 0);
    return { blocks, stopReason: scripted.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn', outputTokens };
  }
  // The default answer continues an assistant prefill `w1 … wK`, like the OpenAI-compatible mock.
  const messages = body['messages'] as Array<Record<string, unknown>>;
  const last = messages.at(-1);
  let said = 0;
  if (last?.['role'] === 'assistant') {
    const tokens = contentText(last['content']).trim().split(/\s+/);
    while (said < tokens.length && tokens[said] === `w${said + 1}`) said++;
  }
  const total = options.words ?? 20;
  const max = body['max_tokens'] as number;
  const pieces = answerPieces(total, said).slice(0, max);
  const text = pieces.join('');
  return {
    blocks: text === '' ? [] : [{ type: 'text', text }],
    stopReason: said + pieces.length < total ? 'max_tokens' : 'end_turn',
    outputTokens: pieces.length,
  };
}
