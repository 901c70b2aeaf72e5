import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { startTracing } from './tracing';

describe('startTracing', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('exports spans over OTLP/HTTP to <endpoint>/v1/traces on close', async () => {
    const received: Array<{ path: string; type: string; body: string }> = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          type: String(req.headers['content-type']),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => collector.close(() => resolve())));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;

    const tracing = startTracing({ endpoint, serviceName: 'aisbf-test', nodeId: 'node-a' });
    const parent = tracing.tracer.startSpan('chat r', {
      kind: SpanKind.SERVER,
      attributes: { 'aisbf.request_id': 'req-otlp-1' },
    });
    parent.end();
    await tracing.close();

    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/v1/traces');
    expect(received[0]!.type).toContain('application/json');
    const body = received[0]!.body;
    expect(body).toContain('chat r');
    expect(body).toContain('req-otlp-1');
    expect(body).toContain('aisbf-test');
    expect(body).toContain('node-a');
  });

  it('is configured by AISBF_OTEL_EXPORTER_OTLP_ENDPOINT, off by default', () => {
    expect(parseEnv({}).AISBF_OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(
      parseEnv({ AISBF_OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).AISBF_OTEL_EXPORTER_OTLP_ENDPOINT,
    ).toBe('http://collector:4318');
    expect(() => parseEnv({ AISBF_OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /AISBF_OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
