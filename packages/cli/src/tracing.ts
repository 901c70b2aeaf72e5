import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  /** Hand this to `createDataPlane({ tracer })`. */
  readonly tracer: Tracer;
  /** Exports what is buffered, then stops. */
  close(): Promise<void>;
}

/**
 * OpenTelemetry tracing, only when `AISBF_OTEL_EXPORTER_OTLP_ENDPOINT` is set (off by default).
 * The endpoint is the OTLP/HTTP base URL, as in OTEL_EXPORTER_OTLP_ENDPOINT: spans go to
 * `<endpoint>/v1/traces`. The provider is not registered globally: the data plane gets its tracer
 * explicitly, so nothing else in the process starts exporting by surprise.
 */
export function startTracing(options: {
  endpoint: string;
  serviceName: string;
  nodeId?: string | undefined;
  exporter?: SpanExporter;
}): Tracing {
  const exporter =
    options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.nodeId === undefined ? {} : { 'service.instance.id': options.nodeId }),
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  return {
    tracer: provider.getTracer('aisbf-data-plane'),
    close: () => provider.shutdown(),
  };
}
