import { GatewayError } from '@aisbf/core';
import type { GraphQLSchema } from 'graphql';
import type { Actor } from '../services/actor';
import type { ConfigExport, ImportResult } from '../services/config.service';
import type { ProviderView } from '../services/providers.service';
import type { RouteConfigView } from '../services/route-configs.service';
import type { UsageView } from '../services/usage.service';
import type { TokenView, UserView } from '../services/views';
import type { CreatedToken } from '../services/tokens.service';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type PageView } from '../services/page-input';
import type { ModelDiscovery } from '@aisbf/jobs';
import { DEFAULT_USAGE_GROUP_LIMIT, MAX_USAGE_GROUP_LIMIT } from '@aisbf/db';
import type { ObjectRef } from '@pothos/core';
import { builder, type GraphqlContext } from './builder';

/** GraphQL for automation (docs/architecture.md "Control plane"): operation names and signatures are the contract. */

const requireActor = (ctx: GraphqlContext): Actor => {
  if (ctx.actor === null) throw new GatewayError('UNAUTHENTICATED', 'send Authorization: Bearer <api token>');
  return ctx.actor;
};

const Role = builder.enumType('Role', {
  values: { ADMIN: { value: 'admin' as const }, USER: { value: 'user' as const } },
});
const Scope = builder.enumType('Scope', {
  values: { USER: { value: 'user' as const }, GLOBAL: { value: 'global' as const } },
});
const ConfigKind = builder.enumType('ConfigKind', {
  values: {
    PROVIDERS: { value: 'providers' as const },
    ROTATIONS: { value: 'rotations' as const },
    AUTOSELECTS: { value: 'autoselects' as const },
  },
});
const UsageGroupBy = builder.enumType('UsageGroupBy', {
  values: {
    ROUTE: { value: 'route' as const },
    PROVIDER: { value: 'provider' as const },
    MODEL: { value: 'model' as const },
    TOKEN: { value: 'token' as const },
    USER: { value: 'user' as const },
  },
});
const UsageGroupOrder = builder.enumType('UsageGroupOrder', {
  values: {
    REQUESTS: { value: 'requests' as const },
    TOKENS: { value: 'tokens' as const, description: 'Prompt + completion tokens.' },
    COST: { value: 'cost' as const },
  },
});
const UsageBucket = builder.enumType('UsageBucket', {
  values: { HOUR: { value: 'hour' as const }, DAY: { value: 'day' as const } },
});

const User = builder.objectRef<UserView>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    username: t.exposeString('username'),
    role: t.field({ type: Role, resolve: (u) => u.role }),
    disabled: t.exposeBoolean('disabled'),
    createdAt: t.field({ type: 'DateTime', resolve: (u) => u.createdAt }),
  }),
});

const CreatedUser = builder.objectRef<{ user: UserView; password?: string }>('CreatedUser').implement({
  fields: (t) => ({
    user: t.field({ type: User, resolve: (r) => r.user }),
    password: t.string({
      nullable: true,
      description: 'The generated password, shown once (null when one was given).',
      resolve: (r) => r.password ?? null,
    }),
  }),
});

const ApiToken = builder.objectRef<TokenView>('ApiToken').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    hint: t.exposeString('hint'),
    createdAt: t.field({ type: 'DateTime', resolve: (x) => x.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (x) => x.expiresAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (x) => x.lastUsedAt }),
    revoked: t.exposeBoolean('revoked'),
  }),
});

const CreatedApiToken = builder.objectRef<CreatedToken>('CreatedApiToken').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    token: t.exposeString('token', { description: 'The plaintext token, shown once; only its SHA-256 is stored.' }),
    name: t.exposeString('name'),
    hint: t.exposeString('hint'),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (x) => x.expiresAt }),
  }),
});

const ProviderModel = builder.objectRef<ProviderView['models'][number]>('ProviderModel').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    contextWindow: t.int({ nullable: true, resolve: (m) => m.contextWindow ?? null }),
    pricing: t.field({ type: 'JSON', nullable: true, resolve: (m) => m.pricing ?? null }),
  }),
});

const ModelHealth = builder.objectRef<ProviderView['health']['models'][number]>('ModelHealth').implement({
  fields: (t) => ({
    model: t.exposeString('model'),
    status: t.exposeString('status'),
    error: t.string({ nullable: true, resolve: (h) => h.error ?? null }),
  }),
});

const ProviderHealth = builder.objectRef<ProviderView['health']>('ProviderHealth').implement({
  fields: (t) => ({
    status: t.exposeString('status'),
    checkedAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.checkedAt ?? null }),
    error: t.string({ nullable: true, resolve: (h) => h.error ?? null }),
    models: t.field({ type: [ModelHealth], resolve: (h) => h.models }),
  }),
});

/** Upserts return their view with the warnings of what was saved; lists and reads carry none. */
const warningsOf = (view: object): readonly { path: string; message: string }[] =>
  'warnings' in view && Array.isArray(view.warnings) ? (view.warnings as { path: string; message: string }[]) : [];

const Provider = builder.objectRef<ProviderView>('Provider').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    scope: t.field({ type: Scope, resolve: (p) => p.scope }),
    type: t.exposeString('type'),
    warnings: t.field({
      type: [ConfigIssueRef],
      description:
        'What the saved document held that aisbf does not use (unknown keys, with a "did you mean"); empty outside an upsert.',
      resolve: (r) => warningsOf(r),
    }),
    endpoint: t.exposeString('endpoint'),
    apiKeyHint: t.string({ nullable: true, resolve: (p) => p.apiKeyHint }),
    enabled: t.exposeBoolean('enabled'),
    adminOnly: t.exposeBoolean('adminOnly'),
    models: t.field({ type: [ProviderModel], resolve: (p) => p.models }),
    health: t.field({ type: ProviderHealth, resolve: (p) => p.health }),
  }),
});

const ProviderInput = builder.inputType('ProviderInput', {
  fields: (t) => ({
    id: t.string({ required: true }),
    type: t.string({ required: true }),
    endpoint: t.string({ required: true }),
    apiKey: t.string({ description: 'Omitted: keep the stored key. Empty string: remove it.' }),
    models: t.stringList(),
    enabled: t.boolean(),
    adminOnly: t.boolean(),
    settings: t.field({
      type: 'JSON',
      description: 'Other provider settings (timeouts, headers, max_concurrency, …).',
    }),
  }),
});

const ModelDiscoveryRef = builder.objectRef<ModelDiscovery>('ModelDiscovery').implement({
  fields: (t) => ({
    models: t.exposeStringList('models'),
    added: t.exposeStringList('added'),
    removed: t.exposeStringList('removed'),
  }),
});

const Rotation = builder.objectRef<RouteConfigView>('Rotation').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    scope: t.field({ type: Scope, resolve: (r) => r.scope }),
    config: t.field({ type: 'JSON', resolve: (r) => r.config }),
    warnings: t.field({
      type: [ConfigIssueRef],
      description:
        'What the saved document held that aisbf does not use (unknown keys, with a "did you mean"); empty outside an upsert.',
      resolve: (r) => warningsOf(r),
    }),
  }),
});
const Autoselect = builder.objectRef<RouteConfigView>('Autoselect').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    scope: t.field({ type: Scope, resolve: (r) => r.scope }),
    config: t.field({ type: 'JSON', resolve: (r) => r.config }),
    warnings: t.field({
      type: [ConfigIssueRef],
      description:
        'What the saved document held that aisbf does not use (unknown keys, with a "did you mean"); empty outside an upsert.',
      resolve: (r) => warningsOf(r),
    }),
  }),
});

const ConfigIssueRef = builder.objectRef<{ path: string; message: string }>('ConfigIssue').implement({
  fields: (t) => ({ path: t.exposeString('path'), message: t.exposeString('message') }),
});

const ImportResultRef = builder.objectRef<ImportResult>('ImportResult').implement({
  fields: (t) => ({
    created: t.exposeStringList('created'),
    updated: t.exposeStringList('updated'),
    warnings: t.field({ type: [ConfigIssueRef], resolve: (r) => r.warnings }),
  }),
});

const ConfigExportRef = builder.objectRef<ConfigExport>('ConfigExport').implement({
  fields: (t) => ({
    providers: t.field({ type: 'JSON', resolve: (e) => e.providers }),
    rotations: t.field({ type: 'JSON', resolve: (e) => e.rotations }),
    autoselects: t.field({ type: 'JSON', resolve: (e) => e.autoselects }),
  }),
});

const UsageTotals = builder.objectRef<UsageView['totals']>('UsageTotals').implement({
  fields: (t) => ({
    requests: t.exposeInt('requests'),
    errors: t.exposeInt('errors'),
    promptTokens: t.exposeInt('promptTokens'),
    completionTokens: t.exposeInt('completionTokens'),
    costMicros: t.float({ nullable: true, resolve: (x) => x.costMicros }),
    unpricedRequests: t.exposeInt('unpricedRequests', {
      description: 'Served requests whose model has no price: their cost is unknown, not 0.',
    }),
  }),
});
const UsagePoint = builder.objectRef<UsageView['series'][number]>('UsagePoint').implement({
  fields: (t) => ({
    t: t.field({ type: 'DateTime', resolve: (p) => p.t }),
    requests: t.exposeInt('requests'),
    errors: t.exposeInt('errors'),
    promptTokens: t.exposeInt('promptTokens'),
    completionTokens: t.exposeInt('completionTokens'),
  }),
});
const UsageGroup = builder.objectRef<UsageView['groups'][number]>('UsageGroup').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    requests: t.exposeInt('requests'),
    errors: t.exposeInt('errors'),
    promptTokens: t.exposeInt('promptTokens'),
    completionTokens: t.exposeInt('completionTokens'),
    costMicros: t.float({ nullable: true, resolve: (x) => x.costMicros }),
    unpricedRequests: t.exposeInt('unpricedRequests'),
  }),
});
const UsageOthers = builder.objectRef<NonNullable<UsageView['others']>>('UsageOthers').implement({
  description: 'The groups past `groupLimit`, summed (docs/usage.md "Usage queries").',
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'How many groups are summed here.' }),
    requests: t.exposeInt('requests'),
    errors: t.exposeInt('errors'),
    promptTokens: t.exposeInt('promptTokens'),
    completionTokens: t.exposeInt('completionTokens'),
    costMicros: t.float({ nullable: true, resolve: (x) => x.costMicros }),
    unpricedRequests: t.exposeInt('unpricedRequests'),
  }),
});
const UsageRecord = builder.objectRef<UsageView['recent'][number]>('UsageRecord').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.field({ type: 'DateTime', resolve: (r) => r.at }),
    route: t.exposeString('route'),
    provider: t.string({ nullable: true, resolve: (r) => r.provider }),
    model: t.string({ nullable: true, resolve: (r) => r.model }),
    status: t.exposeInt('status'),
    outcome: t.exposeString('outcome'),
    promptTokens: t.exposeInt('promptTokens'),
    completionTokens: t.exposeInt('completionTokens'),
    latencyMs: t.exposeInt('latencyMs'),
    ttfbMs: t.int({ nullable: true, resolve: (r) => r.ttfbMs }),
    estimated: t.exposeBoolean('estimated'),
    autoselectReason: t.string({ nullable: true, resolve: (r) => r.autoselectReason }),
    costMicros: t.float({ nullable: true, resolve: (r) => r.costMicros }),
  }),
});
const UsageReport = builder.objectRef<UsageView>('UsageReport').implement({
  fields: (t) => ({
    totals: t.field({ type: UsageTotals, resolve: (u) => u.totals }),
    series: t.field({ type: [UsagePoint], resolve: (u) => u.series }),
    groups: t.field({
      type: [UsageGroup],
      description: `The largest groups by \`groupOrder\`, at most \`groupLimit\` (default ${DEFAULT_USAGE_GROUP_LIMIT}, at most ${MAX_USAGE_GROUP_LIMIT}).`,
      resolve: (u) => u.groups,
    }),
    others: t.field({
      type: UsageOthers,
      nullable: true,
      description: 'What the groups past `groupLimit` add up to; null when none was left out.',
      resolve: (u) => u.others,
    }),
    recent: t.field({ type: [UsageRecord], resolve: (u) => u.recent }),
  }),
});

/** A page of a list (docs/control-plane.md "Pages"): the items and the cursor of the next page. */
const pageOf = <T extends object>(name: string, item: typeof User | typeof Provider) =>
  builder.objectRef<PageView<T>>(name).implement({
    fields: (t) => ({
      items: t.field({ type: [item as ObjectRef<SchemaTypeOf, T>], resolve: (p) => p.items }),
      nextCursor: t.string({
        nullable: true,
        description: 'Pass as `after` for the next page; null on the last page.',
        resolve: (p) => p.nextCursor,
      }),
    }),
  });
type SchemaTypeOf = typeof User extends ObjectRef<infer S, UserView> ? S : never;
const UserPage = pageOf('UserPage', User);
const ProviderPage = pageOf('ProviderPage', Provider);

builder.queryType({
  fields: (t) => ({
    me: t.field({
      type: User,
      nullable: true,
      resolve: async (_r, _a, ctx) => (ctx.actor === null ? null : ctx.services.users.me(ctx.actor)),
    }),
    users: t.field({ type: [User], resolve: (_r, _a, ctx) => ctx.services.users.list(requireActor(ctx)) }),
    userPage: t.field({
      type: UserPage,
      description: `Users by username, \`first\` (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}) after the cursor \`after\`; \`search\`: names containing it.`,
      args: { first: t.arg.int(), after: t.arg.string(), search: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.users.page(requireActor(ctx), a),
    }),
    apiTokens: t.field({
      type: [ApiToken],
      args: { owner: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.tokens.list(requireActor(ctx), { owner: a.owner }),
    }),
    providers: t.field({
      type: [Provider],
      args: { owner: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.providers.list(requireActor(ctx), { owner: a.owner }),
    }),
    providerPage: t.field({
      type: ProviderPage,
      description: `The scope's own providers by id, \`first\` (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}) after the cursor \`after\`; \`search\`: ids containing it.`,
      args: { owner: t.arg.string(), first: t.arg.int(), after: t.arg.string(), search: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.providers.page(requireActor(ctx), a),
    }),
    rotations: t.field({
      type: [Rotation],
      args: { owner: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.rotations.list(requireActor(ctx), { owner: a.owner }),
    }),
    autoselects: t.field({
      type: [Autoselect],
      args: { owner: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.autoselects.list(requireActor(ctx), { owner: a.owner }),
    }),
    routes: t.stringList({
      description: 'Route names the user may call (what GET /models lists).',
      args: { owner: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.system.routes(requireActor(ctx), { owner: a.owner }),
    }),
    exportConfig: t.field({
      type: ConfigExportRef,
      args: { owner: t.arg.string() },
      resolve: (_r, a, ctx) => ctx.services.config.export(requireActor(ctx), { owner: a.owner }),
    }),
    usage: t.field({
      type: UsageReport,
      args: {
        from: t.arg({ type: 'DateTime' }),
        to: t.arg({ type: 'DateTime' }),
        groupBy: t.arg({ type: UsageGroupBy }),
        route: t.arg.string(),
        provider: t.arg.string(),
        token: t.arg.string(),
        user: t.arg.string(),
        bucket: t.arg({ type: UsageBucket }),
        groupOrder: t.arg({ type: UsageGroupOrder, description: 'What ranks the groups (default REQUESTS).' }),
        groupLimit: t.arg.int({ description: 'How many groups to list; the rest are summed into `others`.' }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.usage.query(requireActor(ctx), {
          ...(a.from ? { from: a.from } : {}),
          ...(a.to ? { to: a.to } : {}),
          ...(a.groupBy ? { groupBy: a.groupBy } : {}),
          ...(a.route ? { route: a.route } : {}),
          ...(a.provider ? { provider: a.provider } : {}),
          ...(a.token ? { token: a.token } : {}),
          ...(a.user ? { user: a.user } : {}),
          ...(a.bucket ? { bucket: a.bucket } : {}),
          ...(a.groupOrder ? { groupOrder: a.groupOrder } : {}),
          ...(a.groupLimit !== null && a.groupLimit !== undefined ? { groupLimit: a.groupLimit } : {}),
        }),
    }),
    configVersion: t.int({
      resolve: async (_r, _a, ctx) => (await ctx.services.system.overview(requireActor(ctx))).configVersion,
    }),
  }),
});

builder.mutationType({
  fields: (t) => ({
    createUser: t.field({
      type: User,
      args: {
        username: t.arg.string({ required: true }),
        password: t.arg.string(),
        role: t.arg({ type: Role, defaultValue: 'user' }),
      },
      resolve: async (_r, a, ctx) =>
        (
          await ctx.services.users.create(requireActor(ctx), {
            username: a.username,
            password: a.password,
            role: a.role,
          })
        ).user,
    }),
    createUserWithPassword: t.field({
      type: CreatedUser,
      description: 'Like createUser, and returns the generated password (once) when none was given.',
      args: {
        username: t.arg.string({ required: true }),
        password: t.arg.string(),
        role: t.arg({ type: Role, defaultValue: 'user' }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.users.create(requireActor(ctx), { username: a.username, password: a.password, role: a.role }),
    }),
    updateUser: t.field({
      type: User,
      description:
        'Admins: role, disabled, password of anyone. Users: their own password only. Changing your own password needs currentPassword.',
      args: {
        username: t.arg.string({ required: true }),
        password: t.arg.string(),
        currentPassword: t.arg.string({ description: 'Required when changing your own password.' }),
        role: t.arg({ type: Role }),
        disabled: t.arg.boolean(),
        limits: t.arg({
          type: 'JSON',
          description: 'Quotas and budgets (docs/usage.md); null clears them. Admins only.',
        }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.users.update(requireActor(ctx), {
          username: a.username,
          password: a.password,
          currentPassword: a.currentPassword,
          role: a.role,
          disabled: a.disabled,
          limits: a.limits,
        }),
    }),
    deleteUser: t.boolean({
      args: { username: t.arg.string({ required: true }) },
      resolve: (_r, a, ctx) => ctx.services.users.delete(requireActor(ctx), { username: a.username }),
    }),
    createApiToken: t.field({
      type: CreatedApiToken,
      args: {
        owner: t.arg.string(),
        name: t.arg.string({ required: true }),
        expiresAt: t.arg({ type: 'DateTime' }),
        limits: t.arg({ type: 'JSON', description: 'Quotas and budgets of this token (docs/usage.md).' }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.tokens.create(requireActor(ctx), {
          owner: a.owner,
          name: a.name,
          expiresAt: a.expiresAt ?? null,
          limits: a.limits ?? null,
        }),
    }),
    revokeApiToken: t.boolean({
      args: { id: t.arg.id({ required: true }) },
      resolve: (_r, a, ctx) => ctx.services.tokens.revoke(requireActor(ctx), { id: String(a.id) }),
    }),
    upsertProvider: t.field({
      type: Provider,
      args: { owner: t.arg.string(), input: t.arg({ type: ProviderInput, required: true }) },
      resolve: (_r, a, ctx) => {
        const { settings, ...rest } = a.input;
        const extra =
          typeof settings === 'object' && settings !== null && !Array.isArray(settings)
            ? (settings as Record<string, unknown>)
            : {};
        return ctx.services.providers.upsert(requireActor(ctx), { owner: a.owner, input: { ...extra, ...rest } });
      },
    }),
    deleteProvider: t.boolean({
      args: { owner: t.arg.string(), id: t.arg.string({ required: true }) },
      resolve: (_r, a, ctx) => ctx.services.providers.delete(requireActor(ctx), { owner: a.owner, id: a.id }),
    }),
    discoverModels: t.field({
      type: ModelDiscoveryRef,
      args: { owner: t.arg.string(), providerId: t.arg.string({ required: true }) },
      resolve: (_r, a, ctx) =>
        ctx.services.providers.discoverModels(requireActor(ctx), { owner: a.owner, id: a.providerId }),
    }),
    upsertRotation: t.field({
      type: Rotation,
      args: {
        owner: t.arg.string(),
        id: t.arg.string({ required: true }),
        config: t.arg({ type: 'JSON', required: true }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.rotations.upsert(requireActor(ctx), { owner: a.owner, id: a.id, config: a.config }),
    }),
    deleteRotation: t.boolean({
      args: { owner: t.arg.string(), id: t.arg.string({ required: true }) },
      resolve: (_r, a, ctx) => ctx.services.rotations.delete(requireActor(ctx), { owner: a.owner, id: a.id }),
    }),
    upsertAutoselect: t.field({
      type: Autoselect,
      args: {
        owner: t.arg.string(),
        id: t.arg.string({ required: true }),
        config: t.arg({ type: 'JSON', required: true }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.autoselects.upsert(requireActor(ctx), { owner: a.owner, id: a.id, config: a.config }),
    }),
    deleteAutoselect: t.boolean({
      args: { owner: t.arg.string(), id: t.arg.string({ required: true }) },
      resolve: (_r, a, ctx) => ctx.services.autoselects.delete(requireActor(ctx), { owner: a.owner, id: a.id }),
    }),
    importConfig: t.field({
      type: ImportResultRef,
      args: {
        owner: t.arg.string(),
        kind: t.arg({ type: ConfigKind, required: true }),
        document: t.arg({ type: 'JSON', required: true }),
      },
      resolve: (_r, a, ctx) =>
        ctx.services.config.import(requireActor(ctx), { owner: a.owner, kind: a.kind, document: a.document }),
    }),
  }),
});

export const graphqlSchema: GraphQLSchema = builder.toSchema();
