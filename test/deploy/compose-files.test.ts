import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS } from '../../packages/cli/src/env';

// Docker does not run on the test machines (MACHINE-NOTES.md), so the deployment files are kept
// honest structurally: every role is there and every AISBF_* variable they set is one the CLI accepts.
const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: { test: string[] };
}

const cluster = parse(read('docker/compose.cluster.yml'), { merge: true }) as { services: Record<string, ComposeService> };

describe('docker/compose.cluster.yml', () => {
  it('runs MySQL, Redis, a control plane, a worker, two data-plane nodes and nginx', () => {
    const commands = Object.values(cluster.services).map((s) => s.command?.[0]);
    expect(Object.keys(cluster.services)).toEqual(expect.arrayContaining(['mysql', 'redis', 'nginx']));
    expect(commands.filter((c) => c === 'data-plane')).toHaveLength(2);
    expect(commands).toEqual(expect.arrayContaining(['control-plane', 'worker', 'migrate']));
  });

  it('sets only environment variables the CLI accepts', () => {
    for (const [name, service] of Object.entries(cluster.services)) {
      for (const key of Object.keys(service.environment ?? {})) {
        if (!key.startsWith('AISBF_')) continue;
        expect(ENV_VARS, `${name} sets ${key}`).toContain(key);
      }
    }
  });

  it('keeps data-plane nodes away from MySQL (they are stateless)', () => {
    for (const [name, service] of Object.entries(cluster.services)) {
      if (service.command?.[0] !== 'data-plane') continue;
      expect(service.environment?.['AISBF_DATABASE_URL'], name).toBeUndefined();
      expect(service.environment?.['AISBF_REDIS_URL'], name).toMatch(/^redis:\/\//);
      expect(service.healthcheck?.test.join(' '), name).toContain('/healthz');
    }
  });
});

describe('docker/nginx/aisbf.conf', () => {
  const conf = read('docker/nginx/aisbf.conf');
  it('terminates TLS and proxies SSE without buffering or early timeouts', () => {
    expect(conf).toMatch(/listen 443 ssl/);
    expect(conf).toMatch(/proxy_buffering off/);
    expect(conf).toMatch(/proxy_read_timeout 300s/);
    expect(conf).toMatch(/server data-plane-1:17765/);
    expect(conf).toMatch(/server data-plane-2:17765/);
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = read('docker/Dockerfile');
  it('is multi-stage and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER aisbf$/m);
  });
});
