import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { graphql } from './spawn-aisbf';

/**
 * The MCP acceptance both deployments run (all-in-one and cluster): the official SDK client over
 * Streamable HTTP against a real control plane, a real data plane behind `chat`, and checks made
 * through GraphQL.
 */

export const USER_TOOLS = [
  'list_routes',
  'list_providers',
  'upsert_provider',
  'delete_provider',
  'list_rotations',
  'upsert_rotation',
  'delete_rotation',
  'list_autoselects',
  'upsert_autoselect',
  'delete_autoselect',
  'usage_summary',
  'autoselect_dry_run',
  'chat',
];
export const ADMIN_TOOLS = [...USER_TOOLS, 'list_users', 'create_user'];

/** Every tool result and listing a test saw (not the arguments sent), to scan for secrets at the end. */
export class McpTranscript {
  readonly seen: unknown[] = [];
  text(): string {
    return JSON.stringify(this.seen);
  }
}

export async function connectMcp(url: string, token: string, transcript: McpTranscript): Promise<McpSession> {
  const client = new Client({ name: 'aisbf-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  return new McpSession(client, transcript);
}

export class McpSession {
  constructor(
    readonly client: Client,
    private readonly transcript: McpTranscript,
  ) {}

  async toolNames(): Promise<string[]> {
    const { tools } = await this.client.listTools();
    this.transcript.seen.push(tools);
    return tools.map((t) => t.name).sort();
  }

  async call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = (await this.client.callTool({ name, arguments: args })) as CallToolResult;
    this.transcript.seen.push({ name, result });
    return result;
  }

  /** Calls a tool that must succeed and returns its structured result. */
  async ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    const result = await this.call(name, args);
    expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
    return result.structuredContent as T;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether the data plane at `url` already serves `route` to the token's user (config propagated). */
export async function dataPlaneServes(url: string, token: string, route: string): Promise<boolean> {
  const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) return false;
  return ((await response.json()) as { data: Array<{ id: string }> }).data.some((m) => m.id === route);
}

export interface IsolationTargets {
  /** The other plain user, whose objects the caller must not touch. */
  other: string;
  /** Ids that exist under `other` and under GLOBAL: provider, rotation, autoselect. */
  ids: { provider: string; rotation: string; autoselect: string };
}

/**
 * Creates a provider, a rotation and an autoselect for `other` and for GLOBAL through GraphQL (as
 * the admin), so refusals are tested against objects that exist.
 */
export async function seedIsolationTargets(
  gqlUrl: string,
  adminToken: string,
  other: string,
  upstreamUrl: string,
  keys: { other: string; global: string },
): Promise<IsolationTargets> {
  const ids = { provider: 'theirs', rotation: 'their-rotation', autoselect: 'their-autoselect' };
  for (const owner of [other, 'GLOBAL']) {
    const route = owner === 'GLOBAL' ? `rotation/${ids.rotation}` : `user-rotation/${ids.rotation}`;
    const steps: Array<[string, Record<string, unknown>]> = [
      [
        'mutation($o: String, $i: ProviderInput!) { upsertProvider(owner: $o, input: $i) { id } }',
        {
          i: {
            id: ids.provider,
            type: 'openai',
            endpoint: upstreamUrl,
            apiKey: owner === 'GLOBAL' ? keys.global : keys.other,
            models: ['m1'],
          },
        },
      ],
      [
        'mutation($o: String, $id: String!, $c: JSON!) { upsertRotation(owner: $o, id: $id, config: $c) { id } }',
        { id: ids.rotation, c: { providers: [{ provider_id: ids.provider, model: 'm1', weight: 1 }] } },
      ],
      [
        'mutation($o: String, $id: String!, $c: JSON!) { upsertAutoselect(owner: $o, id: $id, config: $c) { id } }',
        {
          id: ids.autoselect,
          c: { fallback: route, classify_semantic: false, available_models: [{ model_id: route, description: 'x' }] },
        },
      ],
    ];
    for (const [query, variables] of steps) {
      const reply = await graphql(gqlUrl, adminToken, query, { o: owner, ...variables });
      expect(reply.errors, query).toBeUndefined();
    }
  }
  return { other, ids };
}

/** What GraphQL shows of `other`'s and the global configuration, and of the users. */
export async function configState(gqlUrl: string, adminToken: string, other: string): Promise<string> {
  const reply = await graphql(
    gqlUrl,
    adminToken,
    `
      query ($o: String!) {
        theirs: exportConfig(owner: $o) {
          providers
          rotations
          autoselects
        }
        global: exportConfig(owner: "GLOBAL") {
          providers
          rotations
          autoselects
        }
        users {
          username
          role
          disabled
        }
      }
    `,
    { o: other },
  );
  expect(reply.errors).toBeUndefined();
  return JSON.stringify(reply.data);
}

/**
 * A plain user's session calls every tool against `other`'s objects and against GLOBAL: each is
 * refused (an MCP tool error) and GraphQL shows nothing changed.
 */
export async function expectRefusedEverywhere(
  session: McpSession,
  targets: IsolationTargets,
  check: { gqlUrl: string; adminToken: string },
): Promise<void> {
  const before = await configState(check.gqlUrl, check.adminToken, targets.other);
  const { ids } = targets;
  const calls: Array<[string, Record<string, unknown>]> = [];
  for (const owner of [targets.other, 'GLOBAL']) {
    calls.push(
      ['list_routes', { owner }],
      ['list_providers', { owner }],
      ['upsert_provider', { owner, provider: { id: ids.provider, type: 'openai', endpoint: 'http://127.0.0.1:9/v1' } }],
      ['delete_provider', { owner, id: ids.provider }],
      ['list_rotations', { owner }],
      ['upsert_rotation', { owner, id: ids.rotation, config: { providers: [] } }],
      ['delete_rotation', { owner, id: ids.rotation }],
      ['list_autoselects', { owner }],
      ['upsert_autoselect', { owner, id: ids.autoselect, config: { fallback: 'x', available_models: [] } }],
      ['delete_autoselect', { owner, id: ids.autoselect }],
      ['autoselect_dry_run', { owner, id: ids.autoselect, prompt: 'hello' }],
    );
  }
  calls.push(['usage_summary', { user: targets.other }], ['list_users', {}], ['create_user', { username: 'intruder' }]);
  for (const [name, args] of calls) {
    const result = await session.call(name, args);
    expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
    expect(result.structuredContent, `${name} ${JSON.stringify(args)}`).toMatchObject({
      error: { code: 'FORBIDDEN' },
    });
  }
  // Another user's route is not among the caller's: the data plane does not find it.
  const chat = await session.call('chat', { route: `user-rotation/${ids.rotation}`, prompt: 'hi' });
  expect(chat.isError).toBe(true);
  expect(chat.structuredContent).toMatchObject({ error: { code: 'NOT_FOUND' } });
  expect(await configState(check.gqlUrl, check.adminToken, targets.other)).toBe(before);
}

/**
 * Through MCP only: a provider (with a key the strict mock upstream demands), a rotation on it, the
 * rotation among the routes, and a chat on it served by that provider. Returns the chat result.
 */
export async function expectProviderRotationChat(
  session: McpSession,
  options: { upstreamUrl: string; key: string; dataPlaneUrl: string; token: string },
): Promise<Record<string, unknown>> {
  const provider = await session.ok<{ id: string; apiKeyHint: string | null }>('upsert_provider', {
    provider: { id: 'mine', type: 'openai', endpoint: options.upstreamUrl, api_key: options.key, models: ['m1'] },
  });
  expect(provider).toMatchObject({ id: 'mine', apiKeyHint: expect.stringMatching(/…/) });
  const rotation = await session.ok('upsert_rotation', {
    id: 'coding',
    config: { model_name: 'coding', providers: [{ provider_id: 'mine', model: 'm1', weight: 1, error_cooldown: 30 }] },
  });
  expect(rotation).toMatchObject({ id: 'coding', scope: 'user' });
  const { routes } = await session.ok<{ routes: string[] }>('list_routes');
  expect(routes).toEqual(expect.arrayContaining(['user-rotation/coding', 'user-provider/mine/m1']));
  const { providers } = await session.ok<{ providers: Array<{ id: string }> }>('list_providers');
  expect(providers.map((p) => p.id)).toContain('mine');
  await waitFor(() => dataPlaneServes(options.dataPlaneUrl, options.token, 'user-rotation/coding'), 10_000);
  const answer = await session.ok('chat', { route: 'user-rotation/coding', prompt: 'say something' });
  expect(answer).toMatchObject({
    text: 'w1 w2 w3 w4 w5 w6',
    route: 'user-rotation/coding',
    provider: 'mine',
    model: 'm1',
    finishReason: 'stop',
  });
  return answer;
}
