import { roleAtLeast, type MeResponse, type Role } from '@margin/contracts';
import { callerOf } from './caller';

/** What the signed-in caller may change; the API enforces the same rules, the UI only hides what would fail. */
export interface Permissions {
  role: Role;
  isOperator: boolean;
  /** Members and above: submit, cancel and retry jobs (viewers only read). */
  canRunJobs: boolean;
  /** Admins and owners: router policy overrides, budgets, users. */
  isAdmin: boolean;
  /** Admins of the operator tenant: providers, the model catalog, the global routing policy. */
  isOperatorAdmin: boolean;
}

export function permissionsOf(me: MeResponse): Permissions {
  const { role } = callerOf(me);
  const isAdmin = roleAtLeast(role, 'admin');
  return {
    role,
    isOperator: me.tenant.isOperator,
    canRunJobs: roleAtLeast(role, 'member'),
    isAdmin,
    isOperatorAdmin: isAdmin && me.tenant.isOperator,
  };
}
