import type { Plan, Role } from '@margin/contracts';

const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

const PLAN_LABELS: Record<Plan, string> = {
  free: 'Free',
  pro: 'Pro',
  unlimited: 'Unlimited',
};

export function roleLabel(role: Role): string {
  return ROLE_LABELS[role];
}

export function planLabel(plan: Plan): string {
  return PLAN_LABELS[plan];
}
