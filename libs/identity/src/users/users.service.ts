import { Injectable, Logger } from '@nestjs/common';
import { roleAtLeast, type Role, type UserView } from '@margin/contracts';
import { Clock, NotFoundError, PasswordHasher } from '@margin/core';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { VerifiedKeyCache } from '../api-keys/verified-key-cache';
import type { Principal } from '../auth/principal';
import { EmailTakenError, LastOwnerError, RoleTooHighError } from '../identity.errors';
import { toUserView } from '../identity.mappers';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/** Owners and admins manage their own tenant's users; nobody acts above their own role. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly apiKeys: ApiKeyRepository,
    private readonly verifiedKeys: VerifiedKeyCache,
    private readonly clock: Clock,
  ) {}

  async list(principal: Principal): Promise<UserView[]> {
    return (await this.users.listByTenant(principal.tenantId)).map(toUserView);
  }

  async create(principal: Principal, input: { email: string; password: string; role: Role }): Promise<UserView> {
    if (!roleAtLeast(principal.role, input.role)) throw new RoleTooHighError('create a user');
    if (await this.users.existsByEmail(input.email)) throw new EmailTakenError();
    const passwordHash = await this.hasher.hash(input.password);
    // A concurrent create of the same email: the repository throws the same EmailTakenError.
    const user = await this.users.create(principal.tenantId, { email: input.email, passwordHash, role: input.role });
    this.logger.log({ tenantId: principal.tenantId, userId: user.id }, 'User created');
    return toUserView(user);
  }

  async update(principal: Principal, id: string, patch: { role?: Role; password?: string }): Promise<UserView> {
    const user = await this.findManageable(principal, id);
    if (patch.role !== undefined && patch.role !== user.role) {
      if (!roleAtLeast(principal.role, patch.role)) throw new RoleTooHighError('give a user a role');
      if (user.role === 'owner') await this.assertNotLastOwner(principal.tenantId);
    }
    const passwordHash = patch.password ? await this.hasher.hash(patch.password) : undefined;
    await this.users.update(principal.tenantId, id, {
      ...(patch.role ? { role: patch.role } : {}),
      // a new password ends the sessions issued before it
      ...(passwordHash ? { passwordHash, sessionsValidAfter: this.clock.now() } : {}),
    });
    const updated = await this.users.findById(principal.tenantId, id);
    if (!updated) throw new NotFoundError('User');
    // the user's keys act with at most the user's role: cached verifications must see a change of role now
    if (patch.role !== undefined && patch.role !== user.role) await this.verifiedKeys.invalidateEverywhere();
    return toUserView(updated);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const user = await this.findManageable(principal, id);
    if (user.role === 'owner') await this.assertNotLastOwner(principal.tenantId);
    // keys die with the user who made them (revoked first, so none outlives the user even for a moment)
    const revoked = await this.apiKeys.revokeByCreator(principal.tenantId, id, this.clock.now());
    await this.users.delete(principal.tenantId, id);
    await this.verifiedKeys.invalidateEverywhere();
    this.logger.log({ tenantId: principal.tenantId, userId: id, revokedKeys: revoked }, 'User deleted');
  }

  private async findManageable(principal: Principal, id: string): Promise<UserEntity> {
    const user = await this.users.findById(principal.tenantId, id);
    if (!user) throw new NotFoundError('User');
    if (!roleAtLeast(principal.role, user.role)) throw new RoleTooHighError('change a user');
    return user;
  }

  private async assertNotLastOwner(tenantId: string): Promise<void> {
    if ((await this.users.countByRole(tenantId, 'owner')) <= 1) throw new LastOwnerError();
  }
}
