import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@aisbf/control-plane';
import { session } from './session.svelte';

export type {
  ApiToken,
  Autoselect,
  Inputs,
  LiveEntry,
  LiveState,
  Outputs,
  Overview,
  Provider,
  Rotation,
  Usage,
  UsageQuery,
  User,
} from './api-types';

/**
 * The one client. Relative `/trpc` so the same build works behind the control plane, behind
 * `aisbf start` and behind a TLS proxy; cookies ride along (session `aisbf_session`).
 */
export const api = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: '/trpc',
      fetch: async (url, init) => {
        const res = await fetch(url, { ...init, credentials: 'include' });
        // An expired or revoked session: drop the user so the layout sends them to /login
        // (a wrong password at login is also a 401, but that page handles it itself).
        if (res.status === 401 && !String(url).includes('auth.login')) session.user = null;
        return res;
      },
    }),
  ],
});
