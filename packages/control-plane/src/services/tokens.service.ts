import { GatewayError, limitsSchema } from '@aisbf/core';
import { findApiTokenById, insertApiToken, listApiTokens, setApiTokenLimits } from '@aisbf/db';
import { revokeApiToken } from '@aisbf/db';
import { generateApiToken, hashApiToken, tokenHint } from '@aisbf/secrets';
import { z } from 'zod';
import { isAdmin, type Actor } from './actor';
import { resolveOwner } from './owner-scope';
import type { ServiceContext } from './service-deps';
import { parseOrThrow } from './validation-error';
import { isoOrNull, tokenView, type TokenView } from './views';

const createTokenSchema = z.object({
  name: z.string().trim().min(1, 'name is required').max(100),
  expiresAt: z.coerce.date().nullable().optional(),
  /** Quotas and budgets of this token (docs/usage.md), on top of its user's. */
  limits: limitsSchema.nullable().optional(),
});

export interface CreatedToken {
  id: string;
  /** The plaintext, shown this once; only its SHA-256 is stored. */
  token: string;
  name: string;
  hint: string;
  expiresAt: string | null;
}

export function createTokensService(ctx: ServiceContext) {
  const { db } = ctx;
  return {
    async list(actor: Actor, input: { owner?: string | null } = {}): Promise<TokenView[]> {
      const scope = await resolveOwner(db, actor, input.owner);
      if (scope.ownerId === null)
        throw new GatewayError('BAD_REQUEST', 'tokens belong to users, not to the global scope', { path: 'owner' });
      return (await listApiTokens(db, scope.ownerId)).map(tokenView);
    },

    async create(
      actor: Actor,
      input: { owner?: string | null; name: string; expiresAt?: string | Date | null; limits?: unknown },
    ): Promise<CreatedToken> {
      const scope = await resolveOwner(db, actor, input.owner);
      if (scope.ownerId === null)
        throw new GatewayError('BAD_REQUEST', 'tokens belong to users, not to the global scope', { path: 'owner' });
      const parsed = parseOrThrow(createTokenSchema, {
        name: input.name,
        expiresAt: input.expiresAt ?? null,
        limits: input.limits ?? null,
      });
      const expiresAt = parsed.expiresAt ? parsed.expiresAt.getTime() : null;
      if (expiresAt !== null && expiresAt <= ctx.clock())
        throw new GatewayError('BAD_REQUEST', 'expiresAt must be in the future', { path: 'expiresAt' });
      const plaintext = generateApiToken();
      const ownerId = scope.ownerId;
      const token = await ctx.commit(async (trx) => {
        const created = await insertApiToken(trx, {
          userId: ownerId,
          name: parsed.name,
          hash: hashApiToken(plaintext),
          hint: tokenHint(plaintext),
          expiresAt,
          limits: parsed.limits ?? null,
          now: ctx.clock(),
        });
        return { value: created, changes: [{ kind: 'token', id: created.id, op: 'upsert', owner: created.userId }] };
      });
      return {
        id: token.id,
        token: plaintext,
        name: token.name,
        hint: token.hint,
        expiresAt: isoOrNull(token.expiresAt),
      };
    },

    /**
     * Replaces a token's own limits (null clears them). Its owner may: a token's limits only ever
     * narrow what its user may do (docs/usage.md), so they grant nothing.
     */
    async setLimits(actor: Actor, input: { id: string; limits: unknown }): Promise<TokenView> {
      const limits = parseOrThrow(limitsSchema.nullable(), input.limits ?? null, ['limits']);
      return ctx.commit(async (trx) => {
        const token = await findApiTokenById(trx, input.id);
        if (token === undefined || (token.userId !== actor.userId && !isAdmin(actor)))
          throw new GatewayError('NOT_FOUND', 'no such token', { path: 'id' });
        if (token.revokedAt !== null) throw new GatewayError('BAD_REQUEST', 'the token is revoked', { path: 'id' });
        await setApiTokenLimits(trx, token.id, limits);
        return {
          value: tokenView({ ...token, limits }),
          changes: [{ kind: 'token', id: token.id, op: 'upsert', owner: token.userId }],
        };
      });
    },

    async revoke(actor: Actor, input: { id: string }): Promise<boolean> {
      return ctx.commit(async (trx) => {
        const token = await findApiTokenById(trx, input.id);
        // Someone else's token reads as missing: token ids are not to be probed.
        if (token === undefined || (token.userId !== actor.userId && !isAdmin(actor)))
          throw new GatewayError('NOT_FOUND', 'no such token', { path: 'id' });
        await revokeApiToken(trx, token.id, ctx.clock());
        return { value: true, changes: [{ kind: 'token', id: token.id, op: 'delete', owner: token.userId }] };
      });
    },
  };
}

export type TokensService = ReturnType<typeof createTokensService>;
