import type { ServerResponse } from 'node:http';
import { answerPieces, isRecord } from './mock-answer';
import { validateOllamaChat } from './mock-ollama-validate';
import { sendJson, startFakeHttpServer, type FakeRequest } from './fake-http-server';

/**
 * A fake of Ollama's native API (`POST /api/chat` streaming NDJSON unless `stream: false`,
 * `POST /api/embed`, `GET /api/tags`, `GET /api/version`), as strict as the real one
 * (mock-ollama-validate.ts) and checked against the official `ollama` npm client
 * (mock-ollama.int.test.ts). Answers are deterministic: the words `w1 … wN` (a final assistant
 * message `w1 … wK` is continued), or what `reply` scripts.
 */
export interface MockOllamaOptions {
  /** Pulled models. Default `['llama-test']`; `embed-test` always embeds. */
  models?: string[];
  words?: number;
  reply?: (body: Record<string, unknown>) => MockOllamaReply | null;
}

export interface MockOllamaReply {
  content: string;
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
}

export type MockOllamaFault =
  | { kind: 'error'; status: number; error: string }
  /** Stream: the socket is destroyed after `afterLines` content lines. */
  | { kind: 'cut'; afterLines: number };

export interface MockOllama {
  /** The host the `ollama` client takes, and aisbf's provider endpoint. */
  readonly url: string;
  readonly requests: FakeRequest[];
  enqueue(...faults: MockOllamaFault[]): void;
  close(): Promise<void>;
}

const EMBEDDING_MODEL = 'embed-test';
const words = (text: string): number => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);
const at = (n: number): string => new Date(Date.UTC(2025, 0, 1, 0, 0, 0, n)).toISOString();

export async function startMockOllama(options: MockOllamaOptions = {}): Promise<MockOllama> {
  const models = options.models ?? ['llama-test'];
  const faults: MockOllamaFault[] = [];
  let counter = 0;

  const server = await startFakeHttpServer((request, res) => {
    counter++;
    if (request.method === 'GET' && request.path === '/api/version') return sendJson(res, 200, { version: '0.6.4' });
    if (request.method === 'GET' && request.path === '/api/tags')
      return sendJson(res, 200, {
        models: [...models, EMBEDDING_MODEL].map((m) => ({
          name: m,
          model: m,
          modified_at: '2025-01-01T00:00:00Z',
          size: 1000,
          digest: 'sha256:0',
          details: { format: 'gguf', family: 'llama', parameter_size: '1B', quantization_level: 'Q4_0' },
        })),
      });
    if (request.method !== 'POST' || (request.path !== '/api/chat' && request.path !== '/api/embed'))
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
    if (request.body === undefined || request.body === null)
      return sendJson(res, 400, { error: request.body === null ? 'EOF' : 'invalid character in JSON body' });
    const body = request.body;
    if (request.path === '/api/embed') return embed(res, body);
    const refusal = validateOllamaChat(body);
    if (refusal !== null) return sendJson(res, 400, { error: refusal });
    const chat = body as Record<string, unknown>;
    const model = String(chat['model']);
    if (!models.includes(model))
      return sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });
    const fault = faults.shift();
    if (fault?.kind === 'error') return sendJson(res, fault.status, { error: fault.error });
    // Ollama streams unless told otherwise.
    answer(res, chat, model, chat['stream'] !== false, fault?.kind === 'cut' ? fault.afterLines : null);
  });

  function embed(res: ServerResponse, body: unknown): void {
    if (!isRecord(body) || typeof body['model'] !== 'string') return sendJson(res, 400, { error: 'model is required' });
    if (body['model'] !== EMBEDDING_MODEL)
      return sendJson(res, 404, { error: `model "${body['model']}" not found, try pulling it first` });
    const input = body['input'];
    const texts = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string'))
      return sendJson(res, 400, { error: 'invalid input type' });
    const size = typeof body['dimensions'] === 'number' ? body['dimensions'] : 4;
    return sendJson(res, 200, {
      model: body['model'],
      embeddings: texts.map((t) => Array.from({ length: size }, (_, i) => (t.length + i) / 100)),
      total_duration: 1000,
      load_duration: 10,
      prompt_eval_count: texts.reduce((s, t) => s + Math.max(1, words(t)), 0),
    });
  }

  function answer(
    res: ServerResponse,
    body: Record<string, unknown>,
    model: string,
    stream: boolean,
    cutAfter: number | null,
  ): void {
    const messages = Array.isArray(body['messages']) ? (body['messages'] as Array<Record<string, unknown>>) : [];
    const prompt = Math.max(
      1,
      messages.reduce((s, m) => s + words(String(m['content'] ?? '')), 0),
    );
    const scripted = options.reply?.(body) ?? null;
    const total = options.words ?? 20;
    const last = messages.at(-1);
    let said = 0;
    if (last?.['role'] === 'assistant') {
      const tokens = String(last['content'] ?? '')
        .trim()
        .split(/\s+/);
      while (said < tokens.length && tokens[said] === `w${said + 1}`) said++;
    }
    const opts = isRecord(body['options']) ? body['options'] : {};
    const max = typeof opts['num_predict'] === 'number' && opts['num_predict'] >= 0 ? opts['num_predict'] : Infinity;
    const pieces =
      scripted === null ? answerPieces(total, said).slice(0, max) : (scripted.content.match(/\s*\S+/g) ?? []);
    const evalCount =
      scripted === null ? pieces.length : words(scripted.content) + 10 * (scripted.tool_calls?.length ?? 0);
    const doneReason = scripted === null && said + pieces.length < total ? 'length' : 'stop';
    const final = {
      done: true,
      done_reason: doneReason,
      total_duration: 5000,
      load_duration: 100,
      prompt_eval_count: prompt,
      prompt_eval_duration: 200,
      eval_count: evalCount,
      eval_duration: 300,
    };
    const message = (content: string, toolCalls?: MockOllamaReply['tool_calls']) => ({
      role: 'assistant',
      content,
      ...(toolCalls !== undefined && toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    });
    if (!stream) {
      sendJson(res, 200, {
        model,
        created_at: at(counter),
        message: message(pieces.join(''), scripted?.tool_calls),
        ...final,
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    // A cut comes once what was written reached the socket (a cut mid-stream, not before the headers).
    let flushed: Promise<void> = Promise.resolve();
    const line = (value: unknown): void => {
      flushed = new Promise((resolve) => res.write(`${JSON.stringify(value)}\n`, () => resolve()));
    };
    for (const [i, piece] of pieces.entries()) {
      if (cutAfter !== null && i === cutAfter) return void flushed.then(() => res.destroy());
      line({ model, created_at: at(counter), message: message(piece), done: false });
    }
    // A tool call arrives whole, in a line of its own, as Ollama streams it.
    if (scripted?.tool_calls !== undefined && scripted.tool_calls.length > 0)
      line({ model, created_at: at(counter), message: message('', scripted.tool_calls), done: false });
    line({ model, created_at: at(counter), message: message(''), ...final });
    res.end();
  }

  return {
    url: server.url,
    requests: server.requests,
    enqueue: (...f) => void faults.push(...f),
    close: () => server.close(),
  };
}
