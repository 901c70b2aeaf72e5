// The one module, not the package's index: every role parses the environment, and the index would
// load the control plane's GraphQL, MCP and database stack into a data-plane node too.
import { trustedProxies } from '@aisbf/control-plane/client-address';
import { endpointPolicySchema } from '@aisbf/core';
import { z } from 'zod';

/**
 * The one place that reads the environment (docs/architecture.md "Processes and ports"). Parsed once, frozen; a bad variable
 * stops the process at boot with a message that names it.
 */
const port = z.coerce.number().int().min(1).max(65_535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

export const envSchema = z.object({
  AISBF_DATA_DIR: z.string().min(1).default('./data'),
  AISBF_DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^(sqlite:|mysql:\/\/)/, 'must start with sqlite: or mysql://')
      .optional(),
  ),
  AISBF_REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
  ),
  AISBF_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'letters, digits, _ : . - only')
    .default('aisbf:'),
  AISBF_HOST: z.string().min(1).default('0.0.0.0'),
  AISBF_PORT: port.default(17765),
  AISBF_CONTROL_PORT: port.default(17766),
  AISBF_WORKER_PORT: port.default(17767),
  /** Bearer token `/metrics` asks for (docs/observability.md "Access"); unset with no metrics port: no metrics. */
  AISBF_METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** A listener on `AISBF_HOST` that serves only `/metrics`; the role's main port then does not. */
  AISBF_METRICS_PORT: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), port.optional()),
  AISBF_SECRET_KEY: optionalString.pipe(
    z.string().min(16, 'must be at least 16 characters (64 hex chars recommended)').optional(),
  ),
  AISBF_ADMIN_PASSWORD: optionalString.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
  AISBF_ADMIN_TOKEN: optionalString.pipe(
    z
      .string()
      .regex(
        /^aisbf_[A-Za-z0-9_-]{32,}$/,
        'must be "aisbf_" followed by at least 32 characters from A-Z a-z 0-9 _ - (README, "Quick start")',
      )
      .optional(),
  ),
  AISBF_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines when stdout is a terminal, JSON otherwise. */
  AISBF_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  AISBF_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** A request whose x-aisbf-hops reached this is refused with 508 (docs/endpoint-policy.md "Loops through trusted providers"). */
  AISBF_MAX_HOPS: z.coerce.number().int().min(1).max(20).default(3),
  /** User config parts a node keeps in memory, MiB of part JSON, LRU (docs/cluster.md "Cache budget"). */
  AISBF_CONFIG_CACHE_MB: z.coerce.number().min(1).max(65_536).default(64),
  AISBF_DASHBOARD_DIR: optionalString,
  AISBF_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  AISBF_NODE_ID: optionalString,
  AISBF_USAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /**
   * Which hosts user-owned providers may target, as JSON (docs/endpoint-policy.md), e.g.
   * `{"allow":["lan","public"],"denyHosts":["*.corp"]}`. Unset: loopback, LAN and public, so a
   * single-host install keeps working; metadata, link-local and the gateway's ports are refused anyway.
   */
  AISBF_ENDPOINT_POLICY: optionalString
    .transform((text, ctx) => {
      if (text === undefined) return { allow: ['loopback', 'lan', 'public'] };
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"allow":["lan","public"]}' });
        return z.NEVER;
      }
    })
    .pipe(endpointPolicySchema),
  /**
   * Reverse proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` names the
   * client for the login limiter; unset = none: the socket's peer is the client.
   */
  AISBF_TRUSTED_PROXIES: optionalString.transform((text, ctx) => {
    const entries = (text ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    try {
      trustedProxies(entries);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${(error as Error).message}, e.g. 10.0.0.0/8,127.0.0.1` });
      return z.NEVER;
    }
    return entries;
  }),
  /**
   * Where the control plane's MCP `chat` tool reaches a data plane in cluster mode (docs/mcp.md),
   * e.g. `http://data-plane:17765`; `aisbf start` uses its own port. Unset: `chat` is refused.
   */
  AISBF_DATA_PLANE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^/]+\/?$/, 'must be http(s)://host:port, without a path')
      .optional(),
  ),
  /** OTLP/HTTP base URL (spans go to `<url>/v1/traces`); unset = tracing off. */
  AISBF_OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(
    z
      .string()
      .regex(/^https?:\/\//, 'must start with http:// or https://')
      .optional(),
  ),
});

export type Env = Readonly<z.output<typeof envSchema>>;

/** Every variable the CLI accepts; docker/ files are checked against this list. */
export const ENV_VARS: readonly string[] = Object.keys(envSchema.shape);

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${String(issue.path[0] ?? '?')}: ${issue.message}`);
    throw new EnvError(`invalid environment:\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
}
