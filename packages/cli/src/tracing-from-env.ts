import type { Env } from './env';
import type { Tracing } from './tracing';

/**
 * `startTracing` when `AISBF_OTEL_EXPORTER_OTLP_ENDPOINT` is set, else null. The OpenTelemetry SDK
 * (~15 MiB resident) is imported only then, so a role without tracing never loads it.
 */
export async function tracingFromEnv(
  env: Pick<Env, 'AISBF_OTEL_EXPORTER_OTLP_ENDPOINT'>,
  service: { serviceName: string; nodeId?: string },
): Promise<Tracing | null> {
  const endpoint = env.AISBF_OTEL_EXPORTER_OTLP_ENDPOINT;
  return endpoint === undefined ? null : (await import('./tracing')).startTracing({ endpoint, ...service });
}
