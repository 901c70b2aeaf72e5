import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface ProcessMetrics {
  registry: Registry;
  /** The Prometheus text, served through `createMetricsAccess` (who may read it). */
  text(): Promise<string>;
}

/**
 * `/metrics` for the control plane and the worker (docs/observability.md: every process has one). Process and
 * event-loop metrics come from prom-client's defaults; `gauges` adds role-specific values read at
 * scrape time, so nothing is polled between scrapes.
 */
export function createProcessMetrics(options: {
  role: string;
  gauges?: Array<{
    name: string;
    help: string;
    labelNames?: string[];
    collect: (set: (value: number, labels?: Record<string, string>) => void) => Promise<void> | void;
  }>;
}): ProcessMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role: options.role });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  for (const spec of options.gauges ?? []) {
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [registry],
      async collect() {
        this.reset();
        await spec.collect((value, labels) => (labels === undefined ? this.set(value) : this.set(labels, value)));
      },
    });
  }
  return {
    registry,
    text: () => registry.metrics(),
  };
}
