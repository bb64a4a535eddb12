import type { ApiKeyView, MeResponse, Role } from '@margin/contracts';

export function makeMe(overrides: { role?: Role; email?: string; tenantName?: string } = {}): MeResponse {
  return {
    user: {
      id: 'user-1',
      email: overrides.email ?? 'ada@example.com',
      role: overrides.role ?? 'owner',
      tenantId: 'tenant-1',
      createdAt: '2025-01-10T09:00:00.000Z',
      lastLoginAt: '2025-03-02T08:30:00.000Z',
    },
    tenant: {
      id: 'tenant-1',
      name: overrides.tenantName ?? 'Acme Records',
      plan: 'pro',
      isOperator: false,
      createdAt: '2025-01-10T09:00:00.000Z',
    },
    apiKey: null,
    authenticatedVia: 'jwt',
    usage: { periodStart: '2025-03-01T00:00:00.000Z', resetsAt: '2025-04-01T00:00:00.000Z' },
  };
}

export function makeApiKey(overrides: Partial<ApiKeyView> = {}): ApiKeyView {
  return {
    id: 'key-1',
    name: 'CI pipeline',
    prefix: 'mk_ci000001',
    role: 'member',
    createdAt: '2025-02-01T12:00:00.000Z',
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}
