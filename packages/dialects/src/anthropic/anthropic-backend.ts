import type { BackendDialect, DialectError, Result, VendorRequest } from '../dialect';
import { ANTHROPIC_VERSION } from './anthropic-messages-api';
import { mapAnthropicError } from './anthropic-error';
import { createAnthropicPassthroughReader, anthropicUsageOf } from './anthropic-passthrough-reader';
import { anthropicPrepareTools } from './anthropic-prepare-tools';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages';
import { parseAnthropicMessage } from './parse-anthropic-message';
import { createAnthropicStreamTranscoder } from './anthropic-stream-transcoder';

/**
 * `max_tokens` when neither the request, the model's defaults nor the provider's
 * `default_max_tokens` set one: the Messages API requires it (docs/providers.md).
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const authHeaders = (apiKey: string | null): Record<string, string> => ({
  ...(apiKey === null ? {} : { 'x-api-key': apiKey }),
  'anthropic-version': ANTHROPIC_VERSION,
});

const bad = (message: string, param: string | null): { ok: false; error: DialectError } => ({
  ok: false,
  error: { message, param },
});

/** The Messages API as a backend: `POST {endpoint}/v1/messages` (https://docs.anthropic.com/en/api/messages). */
export const anthropicBackend: BackendDialect = {
  name: 'anthropic',
  streamFraming: 'sse',
  buildChat(body, target): Result<VendorRequest, DialectError> {
    if (typeof body['n'] === 'number' && body['n'] > 1)
      return bad('n > 1 is not available from an Anthropic backend; send one request per answer', 'n');
    const prompt = convertToAnthropicMessages(body['messages'], target.prefill);
    if (!prompt.ok) return prompt;
    const tools = anthropicPrepareTools(body);
    if (!tools.ok) return tools;
    const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'];
    const out: Record<string, unknown> = {
      model: target.model,
      max_tokens:
        typeof maxTokens === 'number' && maxTokens > 0
          ? maxTokens
          : (target.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS),
      messages: prompt.value.messages,
    };
    if (prompt.value.system !== undefined) out['system'] = prompt.value.system;
    // Anthropic's temperature range is 0..1, OpenAI's 0..2: higher values are capped at 1.
    if (typeof body['temperature'] === 'number') out['temperature'] = Math.min(1, Math.max(0, body['temperature']));
    if (typeof body['top_p'] === 'number') out['top_p'] = body['top_p'];
    const stop = body['stop'];
    if (typeof stop === 'string') out['stop_sequences'] = [stop];
    else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) out['stop_sequences'] = stop;
    if (tools.value.tools !== undefined) out['tools'] = tools.value.tools;
    if (tools.value.tool_choice !== undefined) out['tool_choice'] = tools.value.tool_choice;
    if (typeof body['user'] === 'string') out['metadata'] = { user_id: body['user'] };
    if (target.stream) out['stream'] = true;
    return {
      ok: true,
      value: { path: '/v1/messages', headers: authHeaders(target.apiKey), body: JSON.stringify(out) },
    };
  },
  parseChat: parseAnthropicMessage,
  createStreamTranscoder: createAnthropicStreamTranscoder,
  mapError: (status, body) => mapAnthropicError(status, body),
  authHeaders,
  models: {
    path: '/v1/models',
    parse(body) {
      const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
      if (!Array.isArray(data)) return null;
      return data.flatMap((m: unknown) =>
        typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string'
          ? [(m as { id: string }).id]
          : [],
      );
    },
  },
  passthrough: {
    buildRequest(clientBody, target, clientHeaders) {
      const body: Record<string, unknown> = { ...clientBody, model: target.model };
      if (body['max_tokens'] === undefined)
        body['max_tokens'] = target.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
      const headers = authHeaders(target.apiKey);
      // The client's own protocol headers go along: its API version and the betas its body relies on.
      for (const name of ['anthropic-version', 'anthropic-beta']) {
        const value = clientHeaders[name];
        if (typeof value === 'string' && value !== '') headers[name] = value;
        else if (Array.isArray(value) && value.length > 0) headers[name] = value.join(',');
      }
      return { path: '/v1/messages', headers, body: JSON.stringify(body) };
    },
    createReader: createAnthropicPassthroughReader,
    usageOf: anthropicUsageOf,
  },
};
