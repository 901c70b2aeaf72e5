import {
  context,
  ProxyTracer,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Tracer,
} from '@opentelemetry/api';
import type { UsageAttempt, UsageEvent } from '@aisbf/core';
import { operationName, routeLabel } from './route-label';

export interface RequestTracing {
  /** Called as each upstream attempt ends, so its span gets its real start and end. */
  attemptEnded(attempt: UsageAttempt): void;
  /** Emits the request span and one child span per attempt. */
  record(event: UsageEvent): void;
}

/**
 * Spans through @opentelemetry/api: without a registered SDK the global API hands out a
 * `ProxyTracer` with nothing behind it, and then nothing is done at all (not even the attempt end
 * times, a WeakMap entry per attempt: ~1 % of a node's busy time, docs/benchmarks.md "Bookkeeping
 * per request"); once an SDK registers, the API hands out its tracer and every span is written
 * from the next request on. Spans are written when the request's usage event exists,
 * with explicit start and end times, so the hot path carries no span objects and every exit path
 * that produces a usage event produces a trace. Attribute names follow the GenAI conventions;
 * like the logs, they hold no prompt, user id, token or key.
 */
export function createRequestTracing(deps: { tracer?: Tracer | undefined; clock: () => number }): RequestTracing {
  const attemptEnds = new WeakMap<UsageAttempt, number>();
  /** The tracer to write spans with, or null while no SDK is registered (a proxy with no delegate). */
  const tracer = (): Tracer | null => {
    if (deps.tracer !== undefined) return deps.tracer;
    const t = trace.getTracer('aisbf-data-plane');
    return t instanceof ProxyTracer ? null : t;
  };
  return {
    attemptEnded(attempt) {
      if (tracer() !== null) attemptEnds.set(attempt, deps.clock());
    },
    record(event) {
      const t = tracer();
      if (t === null) return;
      const route = routeLabel(event);
      const operation = operationName(event.endpoint);
      const end = event.at + event.latencyMs;
      const attributes: Attributes = {
        'gen_ai.operation.name': operation,
        'gen_ai.request.model': route,
        'http.response.status_code': event.status,
        'aisbf.request_id': event.requestId,
        'aisbf.route': route,
        'aisbf.attempts': event.attempts.length,
        'aisbf.stream': event.stream,
      };
      if (event.provider !== null) attributes['gen_ai.provider.name'] = event.provider;
      if (event.model !== null) attributes['gen_ai.response.model'] = event.model;
      if (event.status < 400) {
        attributes['gen_ai.usage.input_tokens'] = event.promptTokens;
        attributes['gen_ai.usage.output_tokens'] = event.completionTokens;
      }
      const span = t.startSpan(`${operation} ${route}`, { kind: SpanKind.SERVER, startTime: event.at, attributes });
      if (span.isRecording()) {
        const parent = trace.setSpan(context.active(), span);
        // Attempts run one after another; one without a recorded end (not expected) is laid after the previous.
        let cursor = event.at;
        for (const [i, a] of event.attempts.entries()) {
          const endAt = attemptEnds.get(a) ?? cursor + a.latencyMs;
          const child = t.startSpan(
            `attempt ${a.provider}/${a.model}`,
            {
              kind: SpanKind.CLIENT,
              startTime: endAt - a.latencyMs,
              attributes: {
                'gen_ai.operation.name': operation,
                'gen_ai.provider.name': a.provider,
                'gen_ai.request.model': a.model,
                'aisbf.attempt': i + 1,
                'aisbf.outcome': a.outcome,
                ...(a.status === null ? {} : { 'http.response.status_code': a.status }),
              },
            },
            parent,
          );
          if (a.outcome !== 'ok') child.setStatus({ code: SpanStatusCode.ERROR, message: a.outcome });
          child.end(endAt);
          cursor = endAt;
        }
      }
      if (event.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: String(event.status) });
      span.end(end);
    },
  };
}
