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

const cluster = parse(read('docker/compose.cluster.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

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

  // Production runs the esbuild bundle with plain node, not the sources through tsx (decisions §2).
  it('builds the CLI bundle and runs it with plain node as the entrypoint', () => {
    const [build, runtime] = dockerfile.split(/^FROM .* AS runtime$/m);
    expect(runtime, 'a stage named runtime').toBeDefined();
    expect(build).toMatch(/^COPY scripts \.\/scripts$/m);
    // One RUN instruction = its line plus the continuation lines (ending in a backslash).
    const runSteps = build!.match(/^RUN (?:.*\\\n)*.*$/gm) ?? [];
    const buildStep = runSteps.find((step) => /pnpm run build\b/.test(step));
    expect(buildStep, 'a RUN step with pnpm run build').toBeDefined();
    expect(buildStep, 'a failed build must fail the image build').not.toMatch(/\|\|/);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(runtime!)?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', '/app/dist/aisbf.mjs']);
    expect(runtime).not.toMatch(/tsx/);
    expect(runtime).toMatch(/^COPY --from=build \/app \/app$/m);
  });

  it('matches the build the repository runs: `pnpm build` writes dist/aisbf.mjs, the root bin', () => {
    const manifest = JSON.parse(read('package.json')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(manifest.scripts['build']).toBe('tsx scripts/build.ts');
    expect(manifest.bin).toEqual({ aisbf: './dist/aisbf.mjs' });
    expect(read('.gitignore')).toMatch(/^dist\/$/m);
  });
});
