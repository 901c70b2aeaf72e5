import { autoselectConfigSchema, providerConfigSchema, rotationConfigSchema } from '@aisbf/core';
import { z } from 'zod';
import type { Services } from '../services/create-services';
import type { ProviderInput } from '../services/providers.service';
import { usageQuerySchema } from '../services/usage.service';
import { defineTool, documentArg, jsonOutput, type McpTool } from './define-tool';

/**
 * The configuration tools: each one call into the service layer GraphQL and tRPC use, with its
 * ownership rules (docs/control-plane.md). The arguments mirror the GraphQL operations'.
 */
const owner = z
  .string()
  .max(64)
  .optional()
  .describe('Admins only: whose resources, a username or "GLOBAL" (the shared ones). Omitted: your own.');
const id = z.string().min(1).max(200);

const READ = { readOnlyHint: true, openWorldHint: false } as const;
/** An upsert replaces what is stored under the id: destructive, but the same call twice changes nothing more. */
const REPLACE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;
const DELETE = REPLACE;

type RouteKind = 'rotation' | 'autoselect';

const routeConfigTools = (services: Services, kind: RouteKind): McpTool[] => {
  const service = kind === 'rotation' ? services.rotations : services.autoselects;
  const schema = kind === 'rotation' ? rotationConfigSchema : autoselectConfigSchema;
  const route = kind === 'rotation' ? 'user-rotation/{id}' : 'user-autoselect/{id}';
  const a = kind === 'rotation' ? 'a' : 'an';
  return [
    defineTool({
      name: `list_${kind}s`,
      description: `Your ${kind}s with their config as stored, and the global ones you may use.`,
      annotations: { title: `List ${kind}s`, ...READ },
      input: z.object({ owner }),
      run: async ({ actor }, args) => jsonOutput({ [`${kind}s`]: await service.list(actor, args) }),
    }),
    defineTool({
      name: `upsert_${kind}`,
      description: `Creates or replaces one ${kind} (AISBF's JSON for one ${kind}, as in ${kind}s.json); it is served as \`${route}\`. References to providers and routes are checked.`,
      annotations: { title: `Create or replace ${a} ${kind}`, ...REPLACE },
      input: z.object({ owner, id, config: documentArg(schema, `the ${kind}'s config`) }),
      run: async ({ actor }, args) => jsonOutput(await service.upsert(actor, args)),
    }),
    defineTool({
      name: `delete_${kind}`,
      description: `Deletes one ${kind}.`,
      annotations: { title: `Delete ${a} ${kind}`, ...DELETE },
      input: z.object({ owner, id }),
      run: async ({ actor }, args) => jsonOutput({ deleted: await service.delete(actor, args) }),
    }),
  ];
};

export function configTools(services: Services): McpTool[] {
  return [
    defineTool({
      name: 'list_routes',
      description:
        'The route names you may call (what GET /v1/models lists): pass one as `route` to the chat tool or as `model` to the OpenAI API.',
      annotations: { title: 'List routes', ...READ },
      input: z.object({ owner }),
      run: async ({ actor }, args) => jsonOutput({ routes: await services.system.routes(actor, args) }),
    }),
    defineTool({
      name: 'list_providers',
      description: 'Your providers and the global ones you may use. Keys are never shown, only a hint (`apiKeyHint`).',
      annotations: { title: 'List providers', ...READ },
      input: z.object({ owner }),
      run: async ({ actor }, args) => jsonOutput({ providers: await services.providers.list(actor, args) }),
    }),
    defineTool({
      name: 'upsert_provider',
      description:
        'Creates or replaces one provider (an entry of AISBF providers.json, plus its `id`). `api_key` is write-only: omitted keeps the stored key, "" removes it.',
      annotations: { title: 'Create or replace a provider', ...REPLACE },
      input: z.object({ owner, provider: documentArg(providerConfigSchema, 'the provider') }),
      run: async ({ actor }, args) =>
        jsonOutput(
          await services.providers.upsert(actor, { owner: args.owner, input: args.provider as ProviderInput }),
        ),
    }),
    defineTool({
      name: 'delete_provider',
      description: 'Deletes one provider.',
      annotations: { title: 'Delete a provider', ...DELETE },
      input: z.object({ owner, id }),
      run: async ({ actor }, args) => jsonOutput({ deleted: await services.providers.delete(actor, args) }),
    }),
    ...routeConfigTools(services, 'rotation'),
    ...routeConfigTools(services, 'autoselect'),
    defineTool({
      name: 'usage_summary',
      description:
        'Requests, tokens and cost over a window (default the last 24 h), optionally grouped; yours, or (admins) anyone’s.',
      annotations: { title: 'Usage summary', ...READ },
      input: usageQuerySchema.extend({
        from: z.string().max(64).optional().describe('ISO 8601 date-time; default 24 h before `to`'),
        to: z.string().max(64).optional().describe('ISO 8601 date-time; default now'),
      }),
      run: async ({ actor }, args) => jsonOutput(await services.usage.query(actor, args)),
    }),
    defineTool({
      name: 'autoselect_dry_run',
      description:
        'What an autoselect would do with a prompt, calling no model: the local privacy check runs; a non-private prompt shows the fallback.',
      annotations: { title: 'Autoselect dry run', ...READ },
      input: z.object({ owner, id, prompt: z.string().max(200_000) }),
      run: async ({ actor }, args) => jsonOutput(await services.autoselects.dryRun(actor, args)),
    }),
    defineTool({
      name: 'list_users',
      description: 'Every user (admins only).',
      adminOnly: true,
      annotations: { title: 'List users', ...READ },
      input: z.object({}),
      run: async ({ actor }) => jsonOutput({ users: await services.users.list(actor) }),
    }),
    defineTool({
      name: 'create_user',
      description:
        'Creates a user (admins only); without `password` one is generated and returned once. Give the user an API token through GraphQL or the dashboard.',
      adminOnly: true,
      annotations: {
        title: 'Create a user',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      input: z.object({
        username: z.string().max(64),
        password: z.string().max(1024).optional(),
        role: z.enum(['admin', 'user']).optional(),
      }),
      run: async ({ actor }, args) => jsonOutput(await services.users.create(actor, args)),
    }),
  ];
}
