import { createDatabase, migrateToLatest, type DatabaseHandle } from '@aisbf/db';
import {
  createControlPlane,
  createInProcessJobRunner,
  createLoginRateLimiter,
  type ControlPlane,
} from '@aisbf/control-plane';
import type { ConfigChange } from '@aisbf/core';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';

/**
 * An in-process control plane on an in-memory SQLite database (or `databaseUrl`) with a movable clock, for the
 * security tests (docs/security.md): everything goes through `fetch` exactly as HTTP would, so GraphQL's and
 * tRPC's error hooks are part of what is tested.
 */
export const ADMIN_TOKEN = 'aisbf_securityAdminTokenPLANTED0123456789abcdefghij';
export const ADMIN_PASSWORD = 'admin-password-PLANTED-7f3a';

export interface GqlReply {
  status: number;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

export interface TrpcReply {
  status: number;
  text: string;
  /** tRPC's error code (`FORBIDDEN`, …) or null on success. */
  code: string | null;
  message: string | null;
  data: unknown;
}

export interface SecurityFixture {
  cp: ControlPlane;
  handle: DatabaseHandle;
  clock: { now: number };
  gql(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GqlReply>;
  /** `clientIp` is what the node edge would pass from the socket (default 10.9.8.7). */
  trpc(
    token: string | null,
    path: string,
    kind: 'query' | 'mutation',
    input?: unknown,
    clientIp?: string,
  ): Promise<TrpcReply>;
  close(): Promise<void>;
}

/** `loginMaxFailures` omitted: the services' own default limiter (what `aisbf start` runs). */
export async function createSecurityFixture(
  options: {
    loginMaxFailures?: number;
    maxBodyBytes?: number;
    databaseUrl?: string;
    /** The AISBF_SECRET_KEY, for a test that decrypts what was stored (default: a fresh one). */
    secretKey?: string;
  } = {},
): Promise<SecurityFixture> {
  const handle = createDatabase(options.databaseUrl ?? 'sqlite::memory:');
  await migrateToLatest(handle.db);
  const clock = { now: Date.now() };
  const secretBox = createSecretBox(options.secretKey ?? generateSecretKey());
  const publish = async (_change: ConfigChange): Promise<void> => undefined;
  const cp = createControlPlane({
    db: handle.db,
    secretBox,
    publisher: { publish },
    jobs: createInProcessJobRunner({ db: handle.db, secretBox, publish }),
    ...(options.loginMaxFailures !== undefined
      ? { loginLimiter: createLoginRateLimiter({ maxFailures: options.loginMaxFailures, now: () => clock.now }) }
      : {}),
    now: () => clock.now,
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  await cp.services.users.ensureAdmin({ password: ADMIN_PASSWORD, token: ADMIN_TOKEN });
  const auth = (token: string | null): Record<string, string> =>
    token === null ? {} : { authorization: `Bearer ${token}` };
  return {
    cp,
    handle,
    clock,
    async gql(token, query, variables) {
      const response = await cp.fetch(
        new Request('http://cp.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth(token) },
          body: JSON.stringify({ query, variables }),
        }),
      );
      const text = await response.text();
      return { status: response.status, text, body: JSON.parse(text) as GqlReply['body'] };
    },
    async trpc(token, path, kind, input, clientIp = '10.9.8.7') {
      const url = new URL(`http://cp.test/trpc/${path}`);
      if (kind === 'query' && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
      const init: RequestInit =
        kind === 'query'
          ? { method: 'GET', headers: auth(token) }
          : {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...auth(token) },
              body: input === undefined ? '' : JSON.stringify(input),
            };
      const response = await cp.fetch(new Request(url, init), { clientIp });
      const text = await response.text();
      let parsed: { result?: { data?: unknown }; error?: { message?: string; data?: { code?: string } } } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // left empty: the caller asserts on status and text
      }
      return {
        status: response.status,
        text,
        code: parsed.error?.data?.code ?? null,
        message: parsed.error?.message ?? null,
        data: parsed.result?.data,
      };
    },
    async close() {
      await cp.close();
      await handle.close();
    },
  };
}
