// Identity shapes shared by the API, the worker and the admin SPA.

export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export const PLANS = ['free', 'pro', 'unlimited'] as const;
export type Plan = (typeof PLANS)[number];

/** Higher rank may do everything a lower rank may. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return roleRank(role) >= roleRank(minimum);
}

export interface UserView {
  id: string;
  email: string;
  role: Role;
  tenantId: string;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface TenantView {
  id: string;
  name: string;
  plan: Plan;
  /** The operator's tenant runs the installation: its owner manages every tenant's plan. */
  isOperator: boolean;
  createdAt: string;
}

export interface LoginRequest {
  email: string;
  password: string;
}

export interface LoginResponse {
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  user: Pick<UserView, 'id' | 'email' | 'role' | 'tenantId'>;
}

export interface SignupRequest {
  email: string;
  password: string;
  tenantName: string;
}

export interface SignupResponse {
  accessToken: string;
  expiresIn: number;
  user: Pick<UserView, 'id' | 'email' | 'role' | 'tenantId'>;
  tenant: TenantView;
}

/**
 * The answer to a sign-up when the email must be confirmed (SIGNUP_CONFIRM_EMAIL): the same whether or not
 * the address already has an account; the mail it is sent says which, and carries the link to finish.
 */
export interface SignupPendingResponse {
  status: 'confirmation_sent';
  message: string;
}

export interface UsagePeriod {
  /** Start of the current calendar month, UTC. */
  periodStart: string;
  /** Start of the next calendar month, UTC: when monthly quotas reset. */
  resetsAt: string;
  /** Jobs and items submitted this month, and the plan's limits (null: unlimited). */
  jobs?: number;
  items?: number;
  limits?: { maxJobsPerMonth: number | null; maxItemsPerMonth: number | null; maxItemsPerJob: number | null; allowedTiers: string[] };
}

export interface MeResponse {
  /** The signed-in person; for an API key, the user who created it (null once that user is deleted). */
  user: UserView | null;
  /** Set when the caller authenticated with an API key. */
  apiKey: Pick<ApiKeyView, 'id' | 'name' | 'prefix' | 'role'> | null;
  tenant: TenantView;
  /** How the caller authenticated: a person's session or an integrator's API key. */
  authenticatedVia: 'jwt' | 'api-key';
  usage: UsagePeriod;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreateApiKeyRequest {
  name: string;
  role?: Role;
}

/** Returned once, on creation: `key` is never shown again. */
export interface CreatedApiKey extends ApiKeyView {
  key: string;
}

export interface CreateUserRequest {
  email: string;
  password: string;
  role: Role;
}

export interface UpdateUserRequest {
  role?: Role;
  password?: string;
}

export interface UpdateTenantRequest {
  plan: Plan;
}
