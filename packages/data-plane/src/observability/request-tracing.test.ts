import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { UsageAttempt } from '@aisbf/core';
import { afterEach, describe, expect, it } from 'vitest';
import { usageRecord } from '../usage-record';
import { createRequestTracing } from './request-tracing';

afterEach(() => trace.disable());

/** Epoch ms (small numbers would be read as times since the process started). */
const T0 = Date.UTC(2026, 11, 6);
const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const attempt = (): UsageAttempt => ({ provider: 'p1', model: 'm1', status: 200, outcome: 'ok', latencyMs: 40 });
const event = (attempts: UsageAttempt[]) => ({
  ...usageRecord({ at: T0, userId: 'u1', tokenId: 't1', route: 'r', status: 200, attempts, autoselectReason: null }),
  latencyMs: 100,
});

describe('request tracing through the global API', () => {
  it('writes nothing before an SDK registers, then every span with its attempts’ real times', () => {
    let now = 0;
    const tracing = createRequestTracing({ clock: () => now });
    const before = attempt();
    now = T0 + 50;
    tracing.attemptEnded(before);
    tracing.record(event([before]));

    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const after = attempt();
    now = T0 + 70;
    tracing.attemptEnded(after);
    tracing.record(event([after]));
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['attempt p1/m1', 'chat r']);
    // Its recorded end (T0 + 70), not one laid from the request's start (T0 + 40).
    expect(ms(spans[0]!.endTime)).toBe(T0 + 70);
    expect(ms(spans[0]!.startTime)).toBe(T0 + 30);
  });
});
