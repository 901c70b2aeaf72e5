import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
// Type-only: the dashboard bundle never contains control-plane code (docs/conventions.md: web imports
// only the router type).
import type { AppRouter } from '@aisbf/control-plane';
import { session } from './session.svelte';

export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;

export type User = NonNullable<Outputs['auth']['me']>;
export type Provider = Outputs['providers']['list'][number];
export type ApiToken = Outputs['tokens']['list'][number];
export type Rotation = Outputs['rotations']['list'][number];
export type Autoselect = Outputs['autoselects']['list'][number];
export type Usage = Outputs['usage']['query'];
export type UsageQuery = Inputs['usage']['query'];
export type Overview = Outputs['system']['overview'];

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
