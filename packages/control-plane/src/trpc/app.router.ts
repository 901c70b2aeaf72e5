import { z } from 'zod';
import { usageQuerySchema, usageRequestsSchema } from '../services/usage.service';
import { authedProcedure, publicProcedure, router } from './trpc';

/**
 * The dashboard's API (tRPC contract in the team brief): thin over the services, plain JSON, dates
 * as ISO strings. `owner` is an optional username (admins only) or `GLOBAL`.
 */
const owner = z.string().max(64).optional();
const ownerInput = z.object({ owner }).optional();
/** A page's arguments; their bounds are the service's (docs/control-plane.md "Pages"). */
const pageInput = z.object({
  first: z.number().optional(),
  after: z.string().optional(),
  search: z.string().optional(),
});
const idInput = z.object({ owner, id: z.string().min(1).max(64) });

const providerInput = z
  .object({
    id: z.string(),
    type: z.string(),
    endpoint: z.string(),
    apiKey: z.string().optional(),
    models: z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
    enabled: z.boolean().optional(),
    adminOnly: z.boolean().optional(),
  })
  .loose();

const routeConfigRouter = (kind: 'rotations' | 'autoselects') =>
  ({
    list: authedProcedure
      .input(ownerInput)
      .query(({ ctx, input }) => ctx.services[kind].list(ctx.actor, { owner: input?.owner })),
    upsert: authedProcedure
      .input(z.object({ owner, id: z.string(), config: z.unknown() }))
      .mutation(({ ctx, input }) =>
        ctx.services[kind].upsert(ctx.actor, { owner: input.owner, id: input.id, config: input.config }),
      ),
    delete: authedProcedure
      .input(idInput)
      .mutation(async ({ ctx, input }) => ({ ok: await ctx.services[kind].delete(ctx.actor, input) })),
  }) as const;

export const appRouter = router({
  auth: router({
    login: publicProcedure
      .input(z.object({ username: z.string().max(64), password: z.string().max(1024) }))
      .mutation(async ({ ctx, input }) => {
        const { user, sessionId } = await ctx.services.auth.login({
          ...input,
          ...(ctx.clientIp ? { clientIp: ctx.clientIp } : {}),
        });
        ctx.setSessionCookie(sessionId);
        return { user };
      }),
    logout: publicProcedure.mutation(async ({ ctx }) => {
      await ctx.services.auth.logout(ctx.actor);
      ctx.setSessionCookie(null);
      return { ok: true as const };
    }),
    me: publicProcedure.query(({ ctx }) => (ctx.actor === null ? null : ctx.services.users.me(ctx.actor))),
  }),
  users: router({
    list: authedProcedure.query(({ ctx }) => ctx.services.users.list(ctx.actor)),
    page: authedProcedure.input(pageInput).query(({ ctx, input }) => ctx.services.users.page(ctx.actor, input)),
    create: authedProcedure
      .input(
        z.object({ username: z.string(), password: z.string().optional(), role: z.enum(['admin', 'user']).optional() }),
      )
      .mutation(({ ctx, input }) => ctx.services.users.create(ctx.actor, input)),
    update: authedProcedure
      .input(
        z.object({
          username: z.string(),
          password: z.string().optional(),
          currentPassword: z.string().optional(),
          role: z.enum(['admin', 'user']).optional(),
          disabled: z.boolean().optional(),
          limits: z.record(z.string(), z.number()).nullable().optional(),
        }),
      )
      .mutation(({ ctx, input }) => ctx.services.users.update(ctx.actor, input)),
    delete: authedProcedure
      .input(z.object({ username: z.string() }))
      .mutation(async ({ ctx, input }) => ({ ok: await ctx.services.users.delete(ctx.actor, input) })),
  }),
  tokens: router({
    list: authedProcedure
      .input(ownerInput)
      .query(({ ctx, input }) => ctx.services.tokens.list(ctx.actor, { owner: input?.owner })),
    create: authedProcedure
      .input(
        z.object({
          owner,
          name: z.string(),
          expiresAt: z.string().nullable().optional(),
          limits: z.record(z.string(), z.number()).nullable().optional(),
        }),
      )
      .mutation(({ ctx, input }) =>
        ctx.services.tokens.create(ctx.actor, {
          owner: input.owner,
          name: input.name,
          expiresAt: input.expiresAt ?? null,
          limits: input.limits ?? null,
        }),
      ),
    setLimits: authedProcedure
      .input(z.object({ id: z.string(), limits: z.record(z.string(), z.number()).nullable() }))
      .mutation(({ ctx, input }) => ctx.services.tokens.setLimits(ctx.actor, input)),
    revoke: authedProcedure
      .input(z.object({ id: z.string() }))
      .mutation(async ({ ctx, input }) => ({ ok: await ctx.services.tokens.revoke(ctx.actor, input) })),
  }),
  providers: router({
    types: authedProcedure.query(({ ctx }) => ctx.services.providers.types()),
    list: authedProcedure
      .input(ownerInput)
      .query(({ ctx, input }) => ctx.services.providers.list(ctx.actor, { owner: input?.owner })),
    page: authedProcedure
      .input(pageInput.and(z.object({ owner })))
      .query(({ ctx, input }) => ctx.services.providers.page(ctx.actor, input)),
    upsert: authedProcedure
      .input(z.object({ owner, input: providerInput }))
      .mutation(({ ctx, input }) => ctx.services.providers.upsert(ctx.actor, input)),
    delete: authedProcedure
      .input(idInput)
      .mutation(async ({ ctx, input }) => ({ ok: await ctx.services.providers.delete(ctx.actor, input) })),
    discoverModels: authedProcedure
      .input(idInput)
      .mutation(({ ctx, input }) => ctx.services.providers.discoverModels(ctx.actor, input)),
    test: authedProcedure.input(idInput).mutation(({ ctx, input }) => ctx.services.providers.test(ctx.actor, input)),
  }),
  rotations: router({
    ...routeConfigRouter('rotations'),
    /** Open cooldowns and health of every entry, polled by the rotations page. */
    liveState: authedProcedure
      .input(ownerInput)
      .query(({ ctx, input }) => ctx.services.rotations.liveState(ctx.actor, { owner: input?.owner })),
  }),
  autoselects: router({
    ...routeConfigRouter('autoselects'),
    dryRun: authedProcedure
      .input(z.object({ owner, id: z.string(), prompt: z.string().max(200_000) }))
      .mutation(({ ctx, input }) => ctx.services.autoselects.dryRun(ctx.actor, input)),
  }),
  config: router({
    import: authedProcedure
      .input(z.object({ owner, kind: z.enum(['providers', 'rotations', 'autoselects']), document: z.unknown() }))
      .mutation(({ ctx, input }) => ctx.services.config.import(ctx.actor, input)),
    export: authedProcedure
      .input(ownerInput)
      .query(({ ctx, input }) => ctx.services.config.export(ctx.actor, { owner: input?.owner })),
  }),
  routes: router({
    list: authedProcedure
      .input(ownerInput)
      .query(({ ctx, input }) => ctx.services.system.routes(ctx.actor, { owner: input?.owner })),
  }),
  usage: router({
    query: authedProcedure
      .input(usageQuerySchema.extend({ from: z.string().optional(), to: z.string().optional() }).optional())
      .query(({ ctx, input }) => ctx.services.usage.query(ctx.actor, input ?? {})),
    requests: authedProcedure
      .input(usageRequestsSchema.extend({ from: z.string().optional(), to: z.string().optional() }).optional())
      .query(({ ctx, input }) => ctx.services.usage.requests(ctx.actor, input ?? {})),
  }),
  system: router({
    overview: authedProcedure.query(({ ctx }) => ctx.services.system.overview(ctx.actor)),
  }),
});

export type AppRouter = typeof appRouter;
