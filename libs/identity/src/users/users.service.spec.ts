import { type ChangeFeed, NotFoundError, PasswordHasher } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { Principal } from '../auth/principal';
import { LastOwnerError, RoleTooHighError } from '../identity.errors';
import type { UserEntity } from './user.entity';
import type { UserRepository } from './user.repository';
import { UsersService } from './users.service';

const hasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });
const at = new Date('2026-01-01T00:00:00Z');
const user = (id: string, role: UserEntity['role']): UserEntity => ({ id, tenantId: 't1', email: `${id}@x.co`, role, createdAt: at, updatedAt: at, lastLoginAt: null }) as UserEntity;
const changes = () => strictMock<ChangeFeed>({ publish: async () => undefined });
const as = (role: Principal['role']): Principal => ({ tenantId: 't1', role, userId: 'me', apiKeyId: null, via: 'jwt', operator: false });

describe('UsersService', () => {
  it('an admin cannot create an owner', async () => {
    const service = new UsersService(strictMock<UserRepository>({}), hasher, changes());
    await expect(service.create(as('admin'), { email: 'o@x.co', password: 'long-enough', role: 'owner' })).rejects.toBeInstanceOf(RoleTooHighError);
  });

  it('scopes every lookup by the caller tenant: another tenant’s user is not found', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => null });
    const service = new UsersService(repo, hasher, changes());
    await expect(service.update(as('owner'), 'u2', { role: 'viewer' })).rejects.toBeInstanceOf(NotFoundError);
    expect(repo.findById).toHaveBeenCalledWith('t1', 'u2');
  });

  it('will not demote or delete the last owner', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => user('o1', 'owner'), countByRole: async () => 1 });
    const service = new UsersService(repo, hasher, changes());
    await expect(service.update(as('owner'), 'o1', { role: 'admin' })).rejects.toBeInstanceOf(LastOwnerError);
    await expect(service.remove(as('owner'), 'o1')).rejects.toBeInstanceOf(LastOwnerError);
  });

  it('demotes an owner when another owner remains, and hashes a new password', async () => {
    const repo = strictMock<UserRepository>({
      findById: async () => user('o1', 'owner'),
      countByRole: async () => 2,
      update: async () => undefined,
    });
    const feed = changes();
    const service = new UsersService(repo, hasher, feed);
    await service.update(as('owner'), 'o1', { role: 'admin', password: 'new-long-password' });
    // open sockets of that user re-check their role at once
    expect(feed.publish).toHaveBeenCalledWith('users');
    const patch = repo.update.mock.calls[0][2];
    expect(patch.role).toBe('admin');
    expect(await hasher.verify('new-long-password', patch.passwordHash as string)).toBe(true);
  });

  it('an admin cannot touch an owner', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => user('o1', 'owner') });
    const service = new UsersService(repo, hasher, changes());
    await expect(service.remove(as('admin'), 'o1')).rejects.toBeInstanceOf(RoleTooHighError);
  });

  it('deleting a user tells every process, so that the user’s open sockets are cut at once', async () => {
    const repo = strictMock<UserRepository>({ findById: async () => user('m1', 'member'), delete: async () => true });
    const feed = changes();
    await new UsersService(repo, hasher, feed).remove(as('admin'), 'm1');
    expect(repo.delete).toHaveBeenCalledWith('t1', 'm1');
    expect(feed.publish).toHaveBeenCalledWith('users');
  });
});
