import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface ProcessMetrics {
  registry: Registry;
  /** Answers `GET /metrics` when asked; returns false for any other path. */
  handle(url: string | undefined, res: ServerResponse): boolean;
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
    handle(url, res) {
      if (url !== '/metrics') return false;
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
      return true;
    },
  };
}
