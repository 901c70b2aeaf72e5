import { GatewayError, isSlug, normalizeUsername } from '@aisbf/core';
import { findApiTokenByHash, findUserById, findUserByUsername, touchApiToken } from '@aisbf/db';
import { hashApiToken, verifyPassword } from '@aisbf/secrets';
import type { SessionStore } from '../ports';
import type { Actor } from './actor';
import type { LoginRateLimiter } from './login-rate-limiter';
import type { ServiceContext } from './service-deps';
import { userView, type UserView } from './views';

export interface AuthOptions {
  sessions: SessionStore;
  limiter: LoginRateLimiter;
  /** Default 7 days. */
  sessionTtlMs?: number;
}

// A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createAuthService(ctx: ServiceContext, options: AuthOptions) {
  const { db } = ctx;
  const ttl = options.sessionTtlMs ?? 7 * 24 * 3_600_000;
  const lastTouched = new Map<string, number>();
  return {
    /** Resolves a bearer token (hashed, looked up) to its user, or null when it does not authenticate. */
    async authenticateToken(token: string): Promise<Actor | null> {
      const found = await findApiTokenByHash(db, hashApiToken(token));
      const now = ctx.clock();
      if (found === undefined || found.revokedAt !== null || (found.expiresAt !== null && found.expiresAt <= now))
        return null;
      const user = await findUserById(db, found.userId);
      if (user === undefined || user.disabled) return null;
      // last_used_at is informational: write it at most once a minute per token.
      if ((lastTouched.get(found.id) ?? 0) < now - 60_000) {
        lastTouched.set(found.id, now);
        await touchApiToken(db, found.id, now);
      }
      return { userId: user.id, username: user.username, role: user.role, via: { kind: 'token', tokenId: found.id } };
    },

    async authenticateSession(sessionId: string): Promise<Actor | null> {
      const session = await options.sessions.get(sessionId);
      if (session === null) return null;
      const user = await findUserById(db, session.userId);
      if (user === undefined || user.disabled) return null;
      return { userId: user.id, username: user.username, role: user.role, via: { kind: 'session', sessionId } };
    },

    /** Password login for the dashboard; returns the session id for the cookie. */
    async login(input: {
      username: string;
      password: string;
      clientIp?: string;
    }): Promise<{ user: UserView; sessionId: string }> {
      // One spelling for the lock and the lookup, so `ALICE ` or `Ａlice` count against alice.
      const username = normalizeUsername(input.username);
      const keys = [`u:${username}`, ...(input.clientIp ? [`ip:${input.clientIp}`] : [])];
      const wait = Math.max(...keys.map((k) => options.limiter.retryAfterS(k)));
      if (wait > 0)
        throw new GatewayError('RATE_LIMITED', `too many failed logins; try again in ${wait} s`, { retryAfterS: wait });
      const user = isSlug(username) ? await findUserByUsername(db, username) : undefined;
      const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
      if (user === undefined || !ok || user.disabled || user.passwordHash === null) {
        for (const k of keys) options.limiter.fail(k);
        throw new GatewayError('UNAUTHENTICATED', 'wrong username or password');
      }
      // Only the username's lock: resetting the address's too let one valid account spray others.
      options.limiter.reset(`u:${username}`);
      const sessionId = await options.sessions.create(user.id, ttl);
      return { user: userView(user), sessionId };
    },

    async logout(actor: Actor | null): Promise<void> {
      if (actor?.via.kind === 'session') await options.sessions.delete(actor.via.sessionId);
    },

    sessionTtlMs: ttl,
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
