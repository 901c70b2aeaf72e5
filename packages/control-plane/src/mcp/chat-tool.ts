import { ERROR_STATUS, GatewayError, safeJsonParse, type ErrorCode } from '@aisbf/core';
import { z } from 'zod';
import type { DataPlaneFetch } from '../ports';
import { ValidationError } from '../services/validation-error';
import { defineTool, type McpTool } from './define-tool';

/** The data plane answers within its own budgets; this only bounds what the tool holds in memory. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

const message = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(1_000_000) });

const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullable().optional() }), finish_reason: z.unknown() }))
    .min(1),
  usage: z.unknown().optional(),
});

const codeForStatus = (status: number): ErrorCode =>
  (Object.entries(ERROR_STATUS) as Array<[ErrorCode, number]>).find(([, s]) => s === status)?.[0] ?? 'UPSTREAM_ERROR';

async function readBounded(response: Response): Promise<string> {
  if (response.body === null) return '';
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => undefined);
      throw new GatewayError('UPSTREAM_ERROR', `the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * `chat`: one non-streamed chat completion through the data plane's own path, presenting the
 * caller's token, so authentication, rate limits, budgets, privacy routing and usage records apply
 * exactly as for any client (docs/data-plane.md).
 */
export function chatTool(dataPlane: DataPlaneFetch | undefined): McpTool {
  return defineTool({
    name: 'chat',
    description:
      'Sends a prompt (or a message list) to a route (see list_routes) and returns the answer, with the route, provider and model that served it. Counts against your limits and budgets like any request.',
    annotations: {
      title: 'Chat with a route',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: true,
    },
    input: z.object({
      route: z.string().min(1).max(400).describe('a route name, e.g. user-rotation/coding'),
      prompt: z.string().max(1_000_000).optional().describe('one user message (or give `messages`)'),
      messages: z.array(message).min(1).max(1000).optional(),
      max_tokens: z.number().int().min(1).max(1_000_000).optional(),
      temperature: z.number().min(0).max(2).optional(),
    }),
    async run({ token }, args) {
      if ((args.prompt === undefined) === (args.messages === undefined))
        throw new ValidationError([{ path: 'prompt', message: 'give either prompt or messages' }]);
      if (dataPlane === undefined)
        throw new GatewayError('UNAVAILABLE', 'chat needs a data plane: set AISBF_DATA_PLANE_URL on the control plane');
      const body = {
        model: args.route,
        messages: args.messages ?? [{ role: 'user', content: args.prompt }],
        stream: false,
        ...(args.max_tokens !== undefined ? { max_tokens: args.max_tokens } : {}),
        ...(args.temperature !== undefined ? { temperature: args.temperature } : {}),
      };
      let response: Response;
      try {
        response = await dataPlane('/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw new GatewayError('UNAVAILABLE', 'the data plane is unreachable', { cause: error });
      }
      const parsed = safeJsonParse(await readBounded(response));
      if (!response.ok) {
        const error = parsed.ok ? (parsed.value as { error?: { message?: unknown } }).error : undefined;
        const text = typeof error?.message === 'string' ? error.message : `the data plane answered ${response.status}`;
        throw new GatewayError(codeForStatus(response.status), text);
      }
      const completion = parsed.ok ? completionSchema.safeParse(parsed.value) : null;
      if (completion?.success !== true)
        throw new GatewayError('UPSTREAM_ERROR', 'the data plane answered something that is not a chat completion');
      const choice = completion.data.choices[0]!;
      const served = {
        text: choice.message.content ?? '',
        route: response.headers.get('x-aisbf-route'),
        provider: response.headers.get('x-aisbf-provider'),
        model: response.headers.get('x-aisbf-model'),
        autoselectReason: response.headers.get('x-aisbf-autoselect-reason'),
        finishReason: choice.finish_reason ?? null,
        usage: completion.data.usage ?? null,
        requestId: response.headers.get('x-request-id'),
      };
      return { text: served.text, structured: served };
    },
  });
}
