import type { Clock } from '@margin/core';
import { hashApiKey, NotFoundError } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { Principal } from '../auth/principal';
import { RoleTooHighError } from '../identity.errors';
import type { ApiKeyEntity } from './api-key.entity';
import type { ApiKeyRepository } from './api-key.repository';
import { ApiKeysService } from './api-keys.service';
import type { VerifiedKeyCache } from './verified-key-cache';

const NOW = new Date('2026-11-21T10:00:00Z');
const clock: Clock = { now: () => NOW };
const keyCache = () => strictMock<VerifiedKeyCache>({ invalidateEverywhere: async () => undefined }, 'VerifiedKeyCache');
const as = (role: Principal['role']): Principal => ({ tenantId: 't1', role, userId: 'u1', apiKeyId: null, via: 'jwt', operator: false });

describe('ApiKeysService', () => {
  it('stores only the prefix and a hash, and returns the whole key once', async () => {
    const repo = strictMock<ApiKeyRepository>({
      create: async (tenantId, data) => ({ id: 'k1', tenantId, ...data, createdAt: NOW, lastUsedAt: null, revokedAt: null }) as ApiKeyEntity,
    });
    const created = await new ApiKeysService(repo, clock, keyCache()).create(as('admin'), { name: 'app' });
    const [tenantId, stored] = repo.create.mock.calls[0];
    expect(tenantId).toBe('t1');
    expect(stored).toEqual({ name: 'app', prefix: created.prefix, keyHash: hashApiKey(created.key), role: 'member', createdByUserId: 'u1' });
    expect(JSON.stringify(stored)).not.toContain(created.key);
  });

  it('refuses a key with a role above the creator’s', async () => {
    const service = new ApiKeysService(strictMock<ApiKeyRepository>({}), clock, keyCache());
    await expect(service.create(as('admin'), { name: 'x', role: 'owner' })).rejects.toBeInstanceOf(RoleTooHighError);
  });

  it('revokes within the tenant at the clock’s time; another tenant’s key is not found', async () => {
    const repo = strictMock<ApiKeyRepository>({
      findById: async (tenantId, id) => (id === 'mine' ? ({ id, tenantId, role: 'member' } as ApiKeyEntity) : null),
      revoke: async () => undefined,
    });
    const service = new ApiKeysService(repo, clock, keyCache());
    await service.revoke(as('admin'), 'mine');
    expect(repo.revoke).toHaveBeenCalledWith('t1', 'mine', NOW);
    await expect(service.revoke(as('admin'), 'theirs')).rejects.toBeInstanceOf(NotFoundError);
    expect(repo.findById).toHaveBeenLastCalledWith('t1', 'theirs');
  });
});
