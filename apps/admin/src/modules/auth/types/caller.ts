import type { MeResponse, Role } from '@margin/contracts';

export interface Caller {
  /** What to call the caller on screen: the person's email, or the API key's name. */
  label: string;
  role: Role;
}

/**
 * The SPA signs in people, so `user` is normally set; `/auth/me` also answers API keys (whose creator may
 * have been deleted), and the screens should not break on that.
 */
export function callerOf(me: MeResponse): Caller {
  if (me.user) return { label: me.user.email, role: me.user.role };
  if (me.apiKey) return { label: `API key “${me.apiKey.name}”`, role: me.apiKey.role };
  return { label: 'Unknown caller', role: 'viewer' };
}
