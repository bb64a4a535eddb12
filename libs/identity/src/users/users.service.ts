import { Injectable, Logger } from '@nestjs/common';
import { roleAtLeast, type Role, type UserView } from '@margin/contracts';
import { ChangeFeed, NotFoundError, PasswordHasher } from '@margin/core';
import { CREDENTIAL_CHANGE_TOPICS, type Principal } from '../auth/principal';
import { EmailTakenError, LastOwnerError, RoleTooHighError } from '../identity.errors';
import { toUserView } from '../identity.mappers';
import type { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

const USERS_TOPIC = CREDENTIAL_CHANGE_TOPICS[1];

/** Owners and admins manage their own tenant's users; nobody acts above their own role. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly changes: ChangeFeed,
  ) {}

  async list(principal: Principal): Promise<UserView[]> {
    return (await this.users.listByTenant(principal.tenantId)).map(toUserView);
  }

  async create(principal: Principal, input: { email: string; password: string; role: Role }): Promise<UserView> {
    if (!roleAtLeast(principal.role, input.role)) throw new RoleTooHighError('create a user');
    if (await this.users.existsByEmail(input.email)) throw new EmailTakenError();
    const passwordHash = await this.hasher.hash(input.password);
    try {
      const user = await this.users.create(principal.tenantId, { email: input.email, passwordHash, role: input.role });
      this.logger.log({ tenantId: principal.tenantId, userId: user.id }, 'User created');
      return toUserView(user);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new EmailTakenError();
      throw err;
    }
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
      ...(passwordHash ? { passwordHash } : {}),
    });
    const updated = await this.users.findById(principal.tenantId, id);
    if (!updated) throw new NotFoundError('User');
    // Open progress sockets re-check their principal now rather than at the next sweep.
    if (patch.role !== undefined && patch.role !== user.role) await this.changes.publish(USERS_TOPIC);
    return toUserView(updated);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const user = await this.findManageable(principal, id);
    if (user.role === 'owner') await this.assertNotLastOwner(principal.tenantId);
    await this.users.delete(principal.tenantId, id);
    await this.changes.publish(USERS_TOPIC);
    this.logger.log({ tenantId: principal.tenantId, userId: id }, 'User deleted');
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
