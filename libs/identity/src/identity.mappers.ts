import type { ApiKeyView, TenantView, UserView } from '@margin/contracts';
import type { ApiKeyEntity } from './api-keys/api-key.entity';
import type { TenantEntity } from './tenants/tenant.entity';
import type { UserEntity } from './users/user.entity';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toUserView(u: UserEntity): UserView {
  return { id: u.id, email: u.email, role: u.role, tenantId: u.tenantId, createdAt: u.createdAt.toISOString(), lastLoginAt: iso(u.lastLoginAt) };
}

export function toTenantView(t: TenantEntity): TenantView {
  return { id: t.id, name: t.name, plan: t.plan, isOperator: t.isOperator, createdAt: t.createdAt.toISOString() };
}

export function toApiKeyView(k: ApiKeyEntity): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}
