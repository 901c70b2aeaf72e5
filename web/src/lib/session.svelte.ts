import type { User } from './api';

/** The signed-in user, shared by the layout and the pages (`null` = signed out, `undefined` = unknown yet). */
export const session = $state<{ user: User | null | undefined }>({ user: undefined });

export const isAdmin = (): boolean => session.user?.role === 'admin';
