import type { User } from './api-types';

/**
 * The signed-in user, shared by the layout and the pages (`null` = signed out, `undefined` = unknown
 * yet). `signedOut` marks a deliberate sign-out, after which /login should not send you back.
 */
export const session = $state<{ user: User | null | undefined; signedOut: boolean }>({
  user: undefined,
  signedOut: false,
});

export const isAdmin = (): boolean => session.user?.role === 'admin';
