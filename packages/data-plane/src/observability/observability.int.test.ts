import { Writable } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { post, startHarness, type Harness, type HarnessOptions } from '../test-harness';

const chat = (model: string, content = 'hello'): Record<string, unknown> => ({
  model,
  messages: [{ role: 'user', content }],
});

/** p answers 429 first, so a request to rotation `r` fails over to q (random 0: p is picked first). */
const failover: HarnessOptions = {
  providers: [{ id: 'p' }, { id: 'q' }],
  rotations: [
    {
      id: 'r',
      config: {
        providers: [
          { provider_id: 'p', model: 'm1', weight: 2 },
          { provider_id: 'q', model: 'm1', weight: 1 },
        ],
        retry: { same_entry: 0 },
      },
    },
  ],
};

/** Sum of the samples of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('observability', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('/metrics carries the GenAI series with bounded route, provider and model labels, and the gateway gauges', async () => {
    h = await startHarness({ ...failover, deps: { random: () => 0, busConnected: () => true } });
    h.mocks['p']!.enqueue({ kind: 'rate-limit' });
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('r'))).status).toBe(200);
    const streamed = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      ...chat('user-provider/q/m1'),
      stream: true,
    });
    expect(streamed.status).toBe(200);
    // A route that never resolves: its name must not become a label value.
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('sk-not-a-route-7f3a'))).status).toBe(404);
    const text = await (await fetch(`${h.url}/metrics`)).text();

    const served = { gen_ai_operation_name: 'chat', route: 'r', provider: 'q', model: 'm1' };
    expect(sample(text, 'gen_ai_client_token_usage_count', { ...served, gen_ai_token_type: 'input' })).toBe(1);
    expect(sample(text, 'gen_ai_client_token_usage_count', { ...served, gen_ai_token_type: 'output' })).toBe(1);
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...served, gen_ai_token_type: 'input' })).toBeGreaterThan(0);
    expect(sample(text, 'gen_ai_server_request_duration_count', served)).toBe(1);
    expect(sample(text, 'gen_ai_server_request_duration_bucket', { ...served, le: '+Inf' })).toBe(1);
    // Time to first token is a streaming measure: only the streamed request has it.
    expect(
      sample(text, 'gen_ai_server_time_to_first_token_count', {
        route: 'user-provider/q/m1',
        provider: 'q',
        model: 'm1',
      }),
    ).toBe(1);
    expect(sample(text, 'gen_ai_server_time_to_first_token_count', { route: 'r' })).toBeNull();
    expect(
      sample(text, 'gen_ai_server_request_duration_count', { route: 'unknown', provider: 'none', error_type: '404' }),
    ).toBe(1);
    expect(text).not.toContain('sk-not-a-route-7f3a');
    expect(text).not.toContain('u-alice');
    expect(text).not.toContain('t-alice');

    expect(sample(text, 'aisbf_upstream_attempts_total', { provider: 'p', outcome: 'rate_limited' })).toBe(1);
    expect(sample(text, 'aisbf_failovers_total', {})).toBe(1);
    expect(sample(text, 'aisbf_cooldowns_open', {})).toBe(1);
    expect(sample(text, 'aisbf_config_version', {})).toBe(1);
    expect(sample(text, 'aisbf_config_snapshot_age_seconds', {})).toBeGreaterThan(0);
    expect(sample(text, 'aisbf_bus_connected', {})).toBe(1);
    expect(sample(text, 'aisbf_event_loop_lag_p99_seconds', {})).toBeGreaterThanOrEqual(0);
  });

  it('logs one info line per request with its request id, and neither the client token nor the provider key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== ''),
        );
        done();
      },
    });
    h = await startHarness({ ...failover, deps: { random: () => 0, logger: pino({ level: 'info' }, sink) } });
    h.mocks['p']!.enqueue({ kind: 'rate-limit' });
    const token = h.tokens.alice;
    // Both secrets travel in the request: the token in the header and, pasted by mistake, in the prompt.
    const res = await post(`${h.v1}/chat/completions`, token, chat('r', `my key is ${token} and ${h.providerKey}`), {
      'x-request-id': 'req-obs-1',
    });
    expect(res.status).toBe(200);
    // The token pasted as the model name: an invalid route, so it must not be logged as one.
    expect((await post(`${h.v1}/chat/completions`, token, chat(token), { 'x-request-id': 'req-obs-2' })).status).toBe(
      400,
    );
    // Refused before it is attributable (an expired token): still one line.
    expect(
      (await post(`${h.v1}/chat/completions`, h.tokens.expired, chat('r'), { 'x-request-id': 'req-obs-3' })).status,
    ).toBe(401);

    const requestLines = (): Array<Record<string, unknown>> =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['msg'] === 'request');
    await vi.waitFor(() => expect(requestLines()).toHaveLength(3));
    const byId = new Map(requestLines().map((r) => [r['requestId'], r]));
    expect([...byId.keys()].sort()).toEqual(['req-obs-1', 'req-obs-2', 'req-obs-3']);
    const first = byId.get('req-obs-1')!;
    expect(first).toMatchObject({
      level: 30,
      route: 'r',
      provider: 'q',
      model: 'm1',
      status: 200,
      outcome: 'ok',
      attempts: 2,
      tried: ['p/m1:429', 'q/m1:200'],
    });
    expect(typeof first['latencyMs']).toBe('number');
    expect(byId.get('req-obs-2')).toMatchObject({ level: 30, route: 'unknown', status: 400, attempts: 0 });
    expect(byId.get('req-obs-3')).toMatchObject({
      level: 30,
      route: 'unknown',
      endpoint: 'chat.completions',
      status: 401,
      attempts: 0,
    });
    const all = lines.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(h.providerKey);
    expect(all).not.toContain(h.tokens.expired);
  });

  it('traces a span per request with a child span per upstream attempt', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    h = await startHarness({ ...failover, deps: { random: () => 0, tracer: provider.getTracer('test') } });
    h.mocks['p']!.enqueue({ kind: 'rate-limit' });
    expect(
      (await post(`${h.v1}/chat/completions`, h.tokens.alice, chat('r'), { 'x-request-id': 'req-trace-1' })).status,
    ).toBe(200);
    await provider.forceFlush();

    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(root).toBeDefined();
    expect(root!.name).toBe('chat r');
    expect(root!.attributes).toMatchObject({
      'aisbf.request_id': 'req-trace-1',
      'gen_ai.provider.name': 'q',
      'gen_ai.response.model': 'm1',
      'http.response.status_code': 200,
      'aisbf.attempts': 2,
    });
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root!.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(['attempt p/m1', 'attempt q/m1']);
    expect(
      children.every((s) => s.kind === SpanKind.CLIENT && s.spanContext().traceId === root!.spanContext().traceId),
    ).toBe(true);
    expect(children[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(children[0]!.attributes['http.response.status_code']).toBe(429);
    expect(children[1]!.status.code).toBe(SpanStatusCode.UNSET);
    // Children sit inside the request span, one after the other.
    const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;
    expect(ms(children[0]!.startTime)).toBeGreaterThanOrEqual(ms(root!.startTime));
    expect(ms(children[1]!.startTime)).toBeGreaterThanOrEqual(ms(children[0]!.endTime));
    expect(ms(children[1]!.endTime)).toBeLessThanOrEqual(ms(root!.endTime) + 1);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(h.tokens.alice);
    await provider.shutdown();
  });
});
