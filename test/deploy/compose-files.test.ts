import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS } from '../../packages/cli/src/env';

// No container runtime can run these files on the test machines: a runtime installs from Debian's
// packages, but no image registry is reachable to pull mariadb, redis, nginx or node. So the
// deployment files are kept honest structurally: every role is there, every AISBF_* variable they set
// is one the CLI accepts, nothing secret enters the build context.
const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface ComposeService {
  image?: string;
  restart?: string;
  deploy?: { replicas?: number };
  volumes?: string[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: { test: string[] };
}

const cluster = parse(read('docker/compose.cluster.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

describe('docker/compose.cluster.yml', () => {
  it('runs MySQL, Redis, a control plane, a worker, one scaled data-plane service and nginx', () => {
    const commands = Object.values(cluster.services).map((s) => s.command?.[0]);
    expect(Object.keys(cluster.services)).toEqual(expect.arrayContaining(['mysql', 'redis', 'nginx']));
    expect(commands).toEqual(expect.arrayContaining(['control-plane', 'worker', 'migrate']));
    // Scaled with --scale / deploy.replicas, never hand-copied services.
    const dataPlanes = Object.entries(cluster.services).filter(([, s]) => s.command?.[0] === 'data-plane');
    expect(dataPlanes.map(([name]) => name)).toEqual(['data-plane']);
    expect(dataPlanes[0]![1].deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('points the control plane at a data-plane service that exists', () => {
    const url = cluster.services['control-plane']?.environment?.['AISBF_DATA_PLANE_URL'] ?? '';
    const host = /^http:\/\/([^:/]+)/.exec(url)?.[1];
    expect(host, url).toBeDefined();
    expect(cluster.services[host!]?.command?.[0]).toBe('data-plane');
  });

  it('restarts every long-running service (the one-shot migrate excepted)', () => {
    for (const [name, service] of Object.entries(cluster.services)) {
      if (name === 'migrate') expect(service.restart, name).toBeUndefined();
      else expect(service.restart, name).toBe('unless-stopped');
    }
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
  });

  it('finds every data-plane replica through Docker DNS instead of a hand-kept list', () => {
    expect(conf).toMatch(/^resolver 127\.0\.0\.11 /m);
    const upstream = /upstream aisbf_data_plane \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(upstream).toMatch(/zone aisbf_data_plane /);
    expect(upstream.match(/^\s*server /gm)).toHaveLength(1);
    expect(upstream).toMatch(/server data-plane:17765 resolve/);
    // `resolve` in an upstream needs nginx 1.27.3 or later.
    const nginx = cluster.services['nginx']?.image ?? '';
    const [major, minor] = (/^nginx:(\d+)\.(\d+)/.exec(nginx) ?? []).slice(1).map(Number);
    expect(major === 1 && (minor ?? 0) >= 28, nginx).toBe(true);
  });

  it('names the certificate paths the self-signed script writes', () => {
    const script = read('docker/make-self-signed-cert.sh');
    expect(conf).toMatch(/ssl_certificate\s+\/etc\/nginx\/certs\/tls\.crt;/);
    expect(conf).toMatch(/ssl_certificate_key\s+\/etc\/nginx\/certs\/tls\.key;/);
    expect(script).toMatch(/-keyout "\$dir\/tls\.key" -out "\$dir\/tls\.crt"/);
    expect(cluster.services['nginx']?.volumes).toEqual(expect.arrayContaining(['./nginx/certs:/etc/nginx/certs:ro']));
  });

  it('makes a usable self-signed pair with the script (key private, certificate for the host)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aisbf-cert-'));
    copyFileSync(join(root, 'docker/make-self-signed-cert.sh'), join(dir, 'make.sh'));
    execFileSync('sh', [join(dir, 'make.sh'), 'gateway.example'], { stdio: 'pipe' });
    const cert = readFileSync(join(dir, 'nginx/certs/tls.crt'), 'utf8');
    expect(new X509Certificate(cert).subjectAltName).toContain('DNS:gateway.example');
    expect(statSync(join(dir, 'nginx/certs/tls.key')).mode & 0o777).toBe(0o600);
    // A second run refuses to overwrite a pair (it may be a real certificate).
    expect(() => execFileSync('sh', [join(dir, 'make.sh')], { stdio: 'pipe' })).toThrow();
  });
});

describe('.dockerignore', () => {
  // The build context is the repository root: a local data dir holds secret.key and the SQLite file.
  const ignored = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim());
  it('keeps secrets, local data and build output out of the image context', () => {
    for (const entry of ['data', '.env', 'docker/.env', 'docker/nginx/certs', '**/node_modules', '.git'])
      expect(ignored, entry).toContain(entry);
  });

  it('lists in docker/.env.example every variable the compose file requires', () => {
    const example = read('docker/.env.example');
    const required = new Set([...read('docker/compose.cluster.yml').matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]));
    for (const name of required) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
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
