import { randomBytes } from 'node:crypto';
import type { Session, SessionStore } from './ports';

/** All-in-one mode's sessions (docs/architecture.md "Processes and ports"): lost on restart, which only means logging in again. */
export function createMemorySessionStore(options: { now?: () => number } = {}): SessionStore {
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Session>();
  return {
    async create(userId, ttlMs) {
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { userId, expiresAt: now() + ttlMs });
      return id;
    },
    async get(id) {
      const session = sessions.get(id);
      if (session === undefined) return null;
      if (session.expiresAt <= now()) {
        sessions.delete(id);
        return null;
      }
      return session;
    },
    async delete(id) {
      sessions.delete(id);
    },
    async deleteForUser(userId) {
      for (const [id, s] of sessions) if (s.userId === userId) sessions.delete(id);
    },
    async close() {
      sessions.clear();
    },
  };
}
