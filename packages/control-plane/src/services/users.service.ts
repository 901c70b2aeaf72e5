import { GatewayError, limitsSchema, usernameSchema, type Role } from '@aisbf/core';
import {
  countUsers,
  deleteUser,
  findApiTokenByHash,
  findUserById,
  findFirstAdmin,
  findUserByUsername,
  insertApiToken,
  insertUser,
  listUsers,
  pageUsers,
  updateUser,
} from '@aisbf/db';
import { generatePassword, hashApiToken, hashPassword, tokenHint, TOKEN_PREFIX, verifyPassword } from '@aisbf/secrets';
import { z } from 'zod';
import { isAdmin, type Actor } from './actor';
import { requireAdmin } from './owner-scope';
import type { ServiceContext } from './service-deps';
import type { SessionStore } from '../ports';
import { parseOrThrow } from './validation-error';
import { encodeCursor, toPageRequest, type PageInput, type PageView } from './page-input';
import { userView, type UserView } from './views';

const updateUserSchema = z.object({
  username: z.string().max(64),
  /** Quotas and budgets (docs/usage.md); null clears them. */
  limits: limitsSchema.nullable().optional(),
  password: z.string().min(8, 'password must have at least 8 characters').max(1024).optional(),
  currentPassword: z.string().max(1024).optional(),
  role: z.enum(['admin', 'user']).optional(),
  disabled: z.boolean().optional(),
});

const createUserSchema = z.object({
  username: usernameSchema,
  password: z.string().min(8, 'password must have at least 8 characters').max(1024).optional(),
  role: z.enum(['admin', 'user']).default('user'),
});

export interface EnsureAdminResult {
  /** True when this call created the first admin. */
  created: boolean;
  username: string;
  /** Set only when a password was generated: print it once, it is stored hashed. */
  generatedPassword?: string;
  tokenRegistered: boolean;
}

async function requireCurrentPassword(ctx: ServiceContext, actor: Actor, current: string | undefined): Promise<void> {
  const user = await findUserByUsername(ctx.db, actor.username);
  const ok = current !== undefined && user?.passwordHash != null && (await verifyPassword(current, user.passwordHash));
  if (!ok)
    throw new GatewayError('FORBIDDEN', 'changing your own password needs your current password (currentPassword)', {
      path: 'currentPassword',
    });
}

export function createUsersService(ctx: ServiceContext, sessions?: SessionStore) {
  const { db } = ctx;
  return {
    async me(actor: Actor): Promise<UserView> {
      const user = await findUserByUsername(db, actor.username);
      if (user === undefined) throw new GatewayError('UNAUTHENTICATED', 'your user no longer exists');
      return userView(user);
    },

    async list(actor: Actor): Promise<UserView[]> {
      requireAdmin(actor);
      return (await listUsers(db)).map(userView);
    },

    /** One page by username; `search` keeps the names containing it (docs/control-plane.md "Pages"). */
    async page(actor: Actor, input?: PageInput): Promise<PageView<UserView>> {
      requireAdmin(actor);
      const page = await pageUsers(db, toPageRequest(input));
      return { items: page.items.map(userView), nextCursor: encodeCursor(page.nextAfter) };
    },

    async create(
      actor: Actor,
      input: { username: string; password?: string | null; role?: Role | null },
    ): Promise<{ user: UserView; password?: string }> {
      requireAdmin(actor);
      const parsed = parseOrThrow(createUserSchema, {
        username: input.username,
        password: input.password ?? undefined,
        role: input.role ?? undefined,
      });
      // Checked before the (deliberately slow) hash too, so a taken name fails fast.
      if ((await findUserByUsername(db, parsed.username)) !== undefined)
        throw new GatewayError('CONFLICT', `user "${parsed.username}" already exists`, { path: 'username' });
      const generated = parsed.password === undefined ? generatePassword() : undefined;
      const passwordHash = await hashPassword(parsed.password ?? generated ?? '');
      const user = await ctx.commit(async (trx) => {
        if ((await findUserByUsername(trx, parsed.username)) !== undefined)
          throw new GatewayError('CONFLICT', `user "${parsed.username}" already exists`, { path: 'username' });
        const created = await insertUser(trx, {
          username: parsed.username,
          passwordHash,
          role: parsed.role,
          now: ctx.clock(),
        });
        return { value: created, changes: [{ kind: 'user', id: created.id, op: 'upsert', owner: created.id }] };
      });
      return generated === undefined ? { user: userView(user) } : { user: userView(user), password: generated };
    },

    /**
     * Admins change role, disabled flag or password of anyone; a user only their own password.
     * Changing one's own password (admins too) needs the current one: a leaked API token or an
     * unattended session must not be enough to take the account over.
     * Disabling ends the user's sessions; the snapshot then drops the user and their tokens.
     */
    async update(
      actor: Actor,
      input: {
        username: string;
        password?: string | null;
        currentPassword?: string | null;
        role?: Role | null;
        disabled?: boolean | null;
        limits?: unknown;
      },
    ): Promise<UserView> {
      const parsed = parseOrThrow(updateUserSchema, {
        username: input.username,
        password: input.password ?? undefined,
        currentPassword: input.currentPassword ?? undefined,
        role: input.role ?? undefined,
        disabled: input.disabled ?? undefined,
        limits: input.limits,
      });
      const self = parsed.username === actor.username;
      if (
        !isAdmin(actor) &&
        (!self || parsed.role !== undefined || parsed.disabled !== undefined || parsed.limits !== undefined)
      )
        throw new GatewayError('FORBIDDEN', 'only admins may change users other than their own password');
      if (self && parsed.password !== undefined) await requireCurrentPassword(ctx, actor, parsed.currentPassword);
      const passwordHash = parsed.password === undefined ? undefined : await hashPassword(parsed.password);
      const updated = await ctx.commit(async (trx) => {
        const user = await findUserByUsername(trx, parsed.username);
        if (user === undefined)
          throw new GatewayError('NOT_FOUND', `user "${parsed.username}" does not exist`, { path: 'username' });
        const losesAdmin = user.role === 'admin' && (parsed.role === 'user' || parsed.disabled === true);
        if (losesAdmin && (await countUsers(trx, 'admin')) <= 1)
          throw new GatewayError('BAD_REQUEST', 'the last admin cannot be demoted or disabled', { path: 'username' });
        await updateUser(
          trx,
          user.id,
          {
            ...(passwordHash !== undefined ? { passwordHash } : {}),
            ...(parsed.role !== undefined ? { role: parsed.role } : {}),
            ...(parsed.disabled !== undefined ? { disabled: parsed.disabled } : {}),
            ...(parsed.limits !== undefined ? { limits: parsed.limits } : {}),
          },
          ctx.clock(),
        );
        const after = await findUserById(trx, user.id);
        if (after === undefined) throw new GatewayError('INTERNAL', 'user vanished during update');
        return { value: after, changes: [{ kind: 'user', id: user.id, op: 'upsert', owner: user.id }] };
      });
      if (parsed.disabled === true || parsed.password !== undefined) await sessions?.deleteForUser(updated.id);
      return userView(updated);
    },

    async delete(actor: Actor, input: { username: string }): Promise<boolean> {
      requireAdmin(actor);
      const removed = await ctx.commit(async (trx) => {
        const user = await findUserByUsername(trx, input.username);
        if (user === undefined)
          throw new GatewayError('NOT_FOUND', `user "${input.username}" does not exist`, { path: 'username' });
        if (user.id === actor.userId)
          throw new GatewayError('BAD_REQUEST', 'you cannot delete yourself', { path: 'username' });
        if (user.role === 'admin' && (await countUsers(trx, 'admin')) <= 1)
          throw new GatewayError('BAD_REQUEST', 'the last admin cannot be deleted', { path: 'username' });
        await deleteUser(trx, user.id);
        return { value: user, changes: [{ kind: 'user', id: user.id, op: 'delete', owner: user.id }] };
      });
      await sessions?.deleteForUser(removed.id);
      return true;
    },

    /**
     * Bootstrap (docs/architecture.md "Processes and ports"): creates the first admin when none exists, with `password` or a
     * generated one (never a default), and registers `token` (hashed) for that admin if given.
     */
    async ensureAdmin(
      options: { password?: string; token?: string; username?: string } = {},
    ): Promise<EnsureAdminResult> {
      const username = options.username ?? 'admin';
      if (
        options.token !== undefined &&
        (!options.token.startsWith(TOKEN_PREFIX) || options.token.length < TOKEN_PREFIX.length + 32)
      ) {
        throw new GatewayError(
          'BAD_REQUEST',
          `AISBF_ADMIN_TOKEN must start with "${TOKEN_PREFIX}" and carry at least 32 random characters after it`,
        );
      }
      if (options.password !== undefined && options.password.length < 8)
        throw new GatewayError('BAD_REQUEST', 'AISBF_ADMIN_PASSWORD must have at least 8 characters');
      const generated = options.password === undefined ? generatePassword() : undefined;
      // One entry of the (role, username) index, never the users table (docs/control-plane.md "Boot").
      const hasAdmin = (await findFirstAdmin(db)) !== undefined;
      const tokenKnown =
        options.token === undefined || (await findApiTokenByHash(db, hashApiToken(options.token))) !== undefined;
      // Every boot calls this: when there is nothing to do, do not bump the config version.
      if (hasAdmin && tokenKnown) return { created: false, username, tokenRegistered: false };
      const passwordHash = hasAdmin ? null : await hashPassword(options.password ?? generated ?? '');
      return ctx.commit(async (trx) => {
        const changes: Array<{ kind: 'user' | 'token'; id: string; op: 'upsert'; owner: string }> = [];
        let admin = await findUserByUsername(trx, username);
        let created = false;
        if ((await findFirstAdmin(trx)) === undefined && passwordHash !== null) {
          if (admin !== undefined) throw new GatewayError('CONFLICT', `user "${username}" exists but is not an admin`);
          const user = await insertUser(trx, { username, passwordHash, role: 'admin', now: ctx.clock() });
          admin = { ...user, passwordHash };
          created = true;
          changes.push({ kind: 'user', id: user.id, op: 'upsert', owner: user.id });
        }
        let tokenRegistered = false;
        if (options.token !== undefined) {
          const hash = hashApiToken(options.token);
          if ((await findApiTokenByHash(trx, hash)) === undefined) {
            const owner = admin !== undefined && admin.role === 'admin' ? admin : await findFirstAdmin(trx);
            if (owner === undefined) throw new GatewayError('INTERNAL', 'no admin to own the bootstrap token');
            const token = await insertApiToken(trx, {
              userId: owner.id,
              name: 'bootstrap (AISBF_ADMIN_TOKEN)',
              hash,
              hint: tokenHint(options.token),
              expiresAt: null,
              now: ctx.clock(),
            });
            changes.push({ kind: 'token', id: token.id, op: 'upsert', owner: owner.id });
            tokenRegistered = true;
          }
        }
        const result: EnsureAdminResult = { created, username, tokenRegistered };
        if (created && generated !== undefined) result.generatedPassword = generated;
        return { value: result, changes };
      });
    },

    isAdmin,
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
