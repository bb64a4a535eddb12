import { ManualClock, NotFoundError, PasswordHasher } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { ApiKeyRepository } from '../api-keys/api-key.repository';
import type { VerifiedKeyCache } from '../api-keys/verified-key-cache';
import type { Principal } from '../auth/principal';
import { LastOwnerError, RoleTooHighError } from '../identity.errors';
import type { UserEntity } from './user.entity';
import type { UserRepository } from './user.repository';
import { UsersService } from './users.service';

const hasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });
const at = new Date('2026-01-01T00:00:00Z');
const user = (id: string, role: UserEntity['role']): UserEntity =>
  ({ id, tenantId: 't1', email: `${id}@x.co`, role, createdAt: at, updatedAt: at, lastLoginAt: null }) as UserEntity;
const as = (role: Principal['role']): Principal => ({ tenantId: 't1', role, userId: 'me', apiKeyId: null, via: 'jwt', operator: false });

/** The service with the given user repository; keys and the verified-key cache as strict mocks the test can inspect. */
function make(repo: UserRepository, keys: Partial<ApiKeyRepository> = {}) {
  const apiKeys = strictMock<ApiKeyRepository>(keys, 'ApiKeyRepository');
  const verifiedKeys = strictMock<VerifiedKeyCache>({ invalidateEverywhere: async () => undefined }, 'VerifiedKeyCache');
  return { service: new UsersService(repo, hasher, apiKeys, verifiedKeys, new ManualClock(at)), apiKeys, verifiedKeys };
}

describe('UsersService', () => {
  it('an admin cannot create an owner', async () => {
    const { service } = make(strictMock<UserRepository>({}));
    await expect(service.create(as('admin'), { email: 'o@x.co', password: 'long-enough', role: 'owner' })).rejects.toBeInstanceOf(RoleTooHighError);
  });

  it('scopes every lookup by the caller tenant: another tenant’s user is not found', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => null });
    const { service } = make(repo);
    await expect(service.update(as('owner'), 'u2', { role: 'viewer' })).rejects.toBeInstanceOf(NotFoundError);
    expect(repo.findById).toHaveBeenCalledWith('t1', 'u2');
  });

  it('will not demote or delete the last owner', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => user('o1', 'owner'), countByRole: async () => 1 });
    const { service } = make(repo);
    await expect(service.update(as('owner'), 'o1', { role: 'admin' })).rejects.toBeInstanceOf(LastOwnerError);
    await expect(service.remove(as('owner'), 'o1')).rejects.toBeInstanceOf(LastOwnerError);
  });

  it('demotes an owner when another owner remains, and hashes a new password', async () => {
    const repo = strictMock<UserRepository>({
      findById: async () => user('o1', 'owner'),
      countByRole: async () => 2,
      update: async () => undefined,
    });
    const { service, verifiedKeys } = make(repo);
    await service.update(as('owner'), 'o1', { role: 'admin', password: 'new-long-password' });
    const patch = repo.update.mock.calls[0][2];
    expect(patch.role).toBe('admin');
    expect(await hasher.verify('new-long-password', patch.passwordHash as string)).toBe(true);
    // sessions issued before the new password end; the user's keys are re-checked at the new role
    expect(patch.sessionsValidAfter).toEqual(at);
    expect(verifiedKeys.invalidateEverywhere).toHaveBeenCalled();
  });

  it('deleting a user revokes the keys they made, before the user is gone', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => user('a1', 'admin'), delete: async () => true });
    const { service, apiKeys, verifiedKeys } = make(repo, { revokeByCreator: async () => 2 });
    await service.remove(as('owner'), 'a1');
    expect(apiKeys.revokeByCreator).toHaveBeenCalledWith('t1', 'a1', at);
    expect(apiKeys.revokeByCreator.mock.invocationCallOrder[0]).toBeLessThan(repo.delete.mock.invocationCallOrder[0] as number);
    expect(verifiedKeys.invalidateEverywhere).toHaveBeenCalled();
  });

  it('an admin cannot touch an owner', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => user('o1', 'owner') });
    const { service } = make(repo);
    await expect(service.remove(as('admin'), 'o1')).rejects.toBeInstanceOf(RoleTooHighError);
  });
});
