import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
// Type-only: the dashboard bundle never contains control-plane code (docs/conventions.md: web imports
// only the router type).
import type { AppRouter } from '@aisbf/control-plane';

/** The shapes the dashboard reads, derived from the router; `api.ts` and `session.svelte.ts` share them. */
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
export type LiveState = Outputs['rotations']['liveState'];
export type LiveEntry = LiveState['rotations'][number]['entries'][number];
