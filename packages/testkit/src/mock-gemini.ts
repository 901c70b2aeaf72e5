import type { ServerResponse } from 'node:http';
import { answerPieces, isRecord } from './mock-answer';
import { validateGenerateContent } from './mock-gemini-validate';
import { sendJson, startFakeHttpServer, type FakeRequest } from './fake-http-server';

/**
 * A fake of the Gemini API (`generateContent`, `streamGenerateContent?alt=sse`, `embedContent`,
 * `batchEmbedContents`, `GET /v1beta/models`), as strict as the real one (mock-gemini-validate.ts)
 * and checked against the official `@google/genai` SDK (mock-gemini.int.test.ts). Answers are
 * deterministic: the words `w1 … wN` (a final model turn `w1 … wK` is continued), or what `reply`
 * scripts.
 */
export interface MockGeminiOptions {
  /** Required `x-goog-api-key` (or `?key=`). Default `gemini-test-key`. */
  apiKey?: string;
  /** Default `['gemini-test']`; `text-embedding-test` always embeds. */
  models?: string[];
  /** Words of the default answer. Default 20. */
  words?: number;
  /** Scripted parts of the answer for a request; null = the default answer. */
  reply?: (body: Record<string, unknown>) => MockGeminiPart[] | null;
  /** `cachedContentTokenCount` in every usage. Default: left out. */
  cachedTokens?: number;
}

export type MockGeminiPart = { text: string } | { functionCall: { name: string; args: Record<string, unknown> } };

export type MockGeminiFault =
  /** The next model call answers this error (`status` as Google's rpc status names it). */
  | { kind: 'error'; code: number; status: string; message: string }
  /** Stream: the socket is destroyed after `afterEvents` text events. */
  | { kind: 'cut'; afterEvents: number };

export interface MockGemini {
  /** The base URL the SDK takes (`httpOptions.baseUrl`), and aisbf's provider endpoint. */
  readonly url: string;
  readonly requests: FakeRequest[];
  enqueue(...faults: MockGeminiFault[]): void;
  close(): Promise<void>;
}

const EMBEDDING_MODEL = 'text-embedding-test';
const words = (text: string): number => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);

function error(res: ServerResponse, code: number, status: string, message: string, details?: unknown[]): void {
  sendJson(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });
}

/** Text of every part of the request (system instruction included): the deterministic prompt count. */
function promptTokens(body: Record<string, unknown>): number {
  let n = 0;
  const texts = (content: unknown): void => {
    const parts = isRecord(content) && Array.isArray(content['parts']) ? content['parts'] : [];
    for (const p of parts) {
      if (!isRecord(p)) continue;
      if (typeof p['text'] === 'string') n += words(p['text']);
      if (isRecord(p['functionResponse'])) n += words(JSON.stringify(p['functionResponse']['response']));
    }
  };
  texts(body['systemInstruction']);
  for (const c of body['contents'] as unknown[]) texts(c);
  return Math.max(1, n);
}

/** How many leading words of a final model turn are `w1 … wK`. */
function prefilled(body: Record<string, unknown>): number {
  const last = (body['contents'] as unknown[]).at(-1);
  if (!isRecord(last) || last['role'] !== 'model') return 0;
  const text = (last['parts'] as unknown[])
    .map((p) => (isRecord(p) && typeof p['text'] === 'string' ? p['text'] : ''))
    .join('');
  const tokens = text.trim().split(/\s+/);
  let k = 0;
  while (k < tokens.length && tokens[k] === `w${k + 1}`) k++;
  return k;
}

export async function startMockGemini(options: MockGeminiOptions = {}): Promise<MockGemini> {
  const apiKey = options.apiKey ?? 'gemini-test-key';
  const models = options.models ?? ['gemini-test'];
  const faults: MockGeminiFault[] = [];
  let counter = 0;

  const server = await startFakeHttpServer((request, res) => {
    counter++;
    const key = request.headers['x-goog-api-key'] ?? request.query.get('key');
    if (key === undefined || key === null)
      return error(res, 403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers. Please use an API key.");
    if (key !== apiKey)
      return error(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
      ]);
    if (request.method === 'GET' && request.path === '/v1beta/models') {
      const list = [...models, EMBEDDING_MODEL].map((m) => ({
        name: `models/${m}`,
        displayName: m,
        inputTokenLimit: 1048576,
        outputTokenLimit: 8192,
        supportedGenerationMethods: m === EMBEDDING_MODEL ? ['embedContent'] : ['generateContent', 'countTokens'],
      }));
      return sendJson(res, 200, { models: list });
    }
    const call =
      /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(
        request.path,
      );
    if (request.method !== 'POST' || call === null) return error(res, 404, 'NOT_FOUND', `Not found: ${request.path}`);
    const [, model, method] = call as unknown as [string, string, string];
    if (request.body === undefined || !isRecord(request.body))
      return error(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    const body = request.body;
    if (method === 'embedContent' || method === 'batchEmbedContents') return embed(res, model, method, body);
    if (!models.includes(model))
      return error(
        res,
        404,
        'NOT_FOUND',
        `models/${model} is not found for API version v1beta, or is not supported for generateContent.`,
      );
    const refusal = validateGenerateContent(body);
    if (refusal !== null) return error(res, refusal.status, refusal.rpc, refusal.message);
    const fault = faults.shift();
    if (fault?.kind === 'error') return error(res, fault.code, fault.status, fault.message);
    const stream = method === 'streamGenerateContent';
    if (stream && request.query.get('alt') !== 'sse')
      return error(res, 400, 'INVALID_ARGUMENT', 'this fake streams as SSE only (alt=sse), as the SDKs ask');
    answer(res, body, model, stream, fault?.kind === 'cut' ? fault.afterEvents : null, counter);
  });

  function embed(res: ServerResponse, model: string, method: string, body: Record<string, unknown>): void {
    if (model !== EMBEDDING_MODEL)
      return error(
        res,
        400,
        'INVALID_ARGUMENT',
        `models/${model} is not found for API version v1beta, or is not supported for embedContent.`,
      );
    const one = (req: unknown): number[] | string => {
      const parts = isRecord(req) && isRecord(req['content']) ? req['content']['parts'] : undefined;
      if (!Array.isArray(parts) || parts.length === 0)
        return '* EmbedContentRequest.content: contents must not be empty.';
      const text = parts.map((p) => (isRecord(p) && typeof p['text'] === 'string' ? p['text'] : '')).join(' ');
      const size = isRecord(req) && typeof req['outputDimensionality'] === 'number' ? req['outputDimensionality'] : 4;
      return Array.from({ length: size }, (_, i) => (text.length + i) / 100);
    };
    const requests = method === 'embedContent' ? [body] : body['requests'];
    if (!Array.isArray(requests) || requests.length === 0)
      return error(res, 400, 'INVALID_ARGUMENT', '* BatchEmbedContentsRequest.requests: requests must not be empty.');
    const vectors = requests.map(one);
    const refused = vectors.find((v) => typeof v === 'string');
    if (typeof refused === 'string') return error(res, 400, 'INVALID_ARGUMENT', refused);
    return sendJson(
      res,
      200,
      method === 'embedContent'
        ? { embedding: { values: vectors[0] } }
        : { embeddings: vectors.map((values) => ({ values })) },
    );
  }

  function answer(
    res: ServerResponse,
    body: Record<string, unknown>,
    model: string,
    stream: boolean,
    cutAfter: number | null,
    n: number,
  ): void {
    const scripted = options.reply?.(body) ?? null;
    const total = options.words ?? 20;
    const said = prefilled(body);
    const config = isRecord(body['generationConfig']) ? body['generationConfig'] : {};
    const max = typeof config['maxOutputTokens'] === 'number' ? config['maxOutputTokens'] : Infinity;
    const pieces = scripted === null ? answerPieces(total, said).slice(0, max) : [];
    const parts: MockGeminiPart[] = scripted ?? (pieces.length > 0 ? [{ text: pieces.join('') }] : []);
    const outputTokens =
      scripted === null ? pieces.length : scripted.reduce((s, p) => s + ('text' in p ? words(p.text) : 10), 0);
    const finishReason = scripted === null && said + pieces.length < total ? 'MAX_TOKENS' : 'STOP';
    const prompt = promptTokens(body);
    const usageMetadata = {
      promptTokenCount: prompt,
      candidatesTokenCount: outputTokens,
      totalTokenCount: prompt + outputTokens,
      ...(options.cachedTokens !== undefined ? { cachedContentTokenCount: options.cachedTokens } : {}),
    };
    const base = { modelVersion: model, responseId: `mock-${n}` };
    if (!stream) {
      const candidate = { content: { role: 'model', parts }, finishReason, index: 0 };
      return sendJson(res, 200, { candidates: [candidate], usageMetadata, ...base });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // A cut comes once what was written reached the socket (a cut mid-stream, not before the headers).
    let flushed: Promise<void> = Promise.resolve();
    const send = (event: unknown): void => {
      flushed = new Promise((resolve) => res.write(`data: ${JSON.stringify(event)}\r\n\r\n`, () => resolve()));
    };
    // Text goes out a word an event; a function call goes out whole, as the API streams it.
    const events = parts.flatMap((p): MockGeminiPart[] =>
      'text' in p ? (p.text.match(/\s*\S+/g) ?? []).map((text) => ({ text })) : [p],
    );
    let sent = 0;
    for (const [i, part] of events.entries()) {
      if (cutAfter !== null && sent === cutAfter) return void flushed.then(() => res.destroy());
      const last = i === events.length - 1;
      send({
        candidates: [{ content: { role: 'model', parts: [part] }, ...(last ? { finishReason } : {}), index: 0 }],
        usageMetadata: last ? usageMetadata : { promptTokenCount: prompt, totalTokenCount: prompt },
        ...base,
      });
      sent++;
    }
    if (events.length === 0)
      send({
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason, index: 0 }],
        usageMetadata,
        ...base,
      });
    res.end();
  }

  return {
    url: server.url,
    requests: server.requests,
    enqueue: (...f) => void faults.push(...f),
    close: () => server.close(),
  };
}
