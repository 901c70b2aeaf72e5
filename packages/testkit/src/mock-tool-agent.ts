import { contentText, isRecord, lastMessage, promptTokenCount } from './mock-answer';
import type { MockExchange } from './mock-responder';

/** The text the mock answers once it sees the tool's result: the result, quoted. */
export const toolResultAnswer = (result: string): string => `Tool result: ${result}`;

/**
 * A coding agent's backend in two turns: while the last message is not a tool result, it calls
 * `tool` with `args`; once it is, it answers with text quoting that result (toolResultAnswer).
 * Streams send the call as OpenAI does: the name first, the arguments in two pieces, then
 * `finish_reason: "tool_calls"`.
 */
export function respondToolAgent(x: MockExchange, tool: string, args: string): void {
  const body = isRecord(x.body) ? x.body : {};
  const last = lastMessage(body);
  const tools = Array.isArray(body['tools']) ? body['tools'] : [];
  const offered = tools.some((t) => isRecord(t) && isRecord(t['function']) && t['function']['name'] === tool);
  const result = last?.role === 'tool' ? contentText(last.content) : null;
  if (result === null && !offered) {
    const text = JSON.stringify({
      error: {
        message: `mock: no tool named '${tool}' in the request`,
        type: 'invalid_request_error',
        param: 'tools',
        code: null,
      },
    });
    x.res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    x.res.end(text);
    return;
  }
  const id = `chatcmpl-mock-${x.record.n}`;
  const created = Math.floor(x.record.at / 1000);
  const callId = `call_mock_${x.record.n}`;
  const prompt = promptTokenCount(body);
  const usage = { prompt_tokens: prompt, completion_tokens: 5, total_tokens: prompt + 5 };
  const call = { id: callId, type: 'function', function: { name: tool, arguments: args } };
  x.record.chunksSent = 1;
  if (body['stream'] !== true) {
    const message =
      result === null
        ? { role: 'assistant', content: null, tool_calls: [call], refusal: null }
        : { role: 'assistant', content: toolResultAnswer(result), refusal: null };
    const text = JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model: x.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: result === null ? 'tool_calls' : 'stop' }],
      usage,
    });
    x.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    x.res.end(text);
    return;
  }
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: x.model, choices, ...extra })}\n\n`;
  const delta = (d: Record<string, unknown>, finish: string | null = null): string =>
    frame([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  let out = '';
  if (result === null) {
    const half = Math.floor(args.length / 2);
    out += delta({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, ...call, function: { name: tool, arguments: '' } }],
    });
    out += delta({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] });
    out += delta({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] });
    out += delta({}, 'tool_calls');
  } else {
    const text = toolResultAnswer(result);
    out += delta({ role: 'assistant', content: '' });
    for (const piece of text.match(/.{1,8}/gs) ?? []) out += delta({ content: piece });
    out += delta({}, 'stop');
  }
  const so = body['stream_options'];
  if (isRecord(so) && so['include_usage'] === true) out += frame([], { usage });
  x.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  x.res.end(`${out}data: [DONE]\n\n`);
}
