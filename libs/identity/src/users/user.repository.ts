import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Role } from '@margin/contracts';
import { isUniqueViolation } from '@margin/core';
import { Repository } from 'typeorm';
import { EmailTakenError } from '../identity.errors';
import { UserEntity } from './user.entity';

export type UserWithPassword = UserEntity & { passwordHash: string };

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /** Login comes before the tenant is known, so this one lookup is by email alone. */
  findByEmailWithPassword(email: string): Promise<UserWithPassword | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: email.toLowerCase() })
      .getOne() as Promise<UserWithPassword | null>;
  }

  existsByEmail(email: string): Promise<boolean> {
    return this.users.existsBy({ email: email.toLowerCase() });
  }

  /** The user and whether their tenant is the operator's, in one query (run on every authenticated request). */
  async findForPrincipal(tenantId: string, id: string): Promise<{ user: UserEntity; isOperator: boolean } | null> {
    const row = await this.users
      .createQueryBuilder('u')
      .addSelect('u.sessionsValidAfter')
      .innerJoin('tenants', 't', 't.id = u.tenant_id')
      .addSelect('t.is_operator', 'is_operator')
      .where('u.tenant_id = :tenantId AND u.id = :id', { tenantId, id })
      .getRawAndEntities();
    const user = row.entities[0];
    return user ? { user, isOperator: Boolean((row.raw[0] as { is_operator: boolean }).is_operator) } : null;
  }

  findById(tenantId: string, id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ tenantId, id });
  }

  listByTenant(tenantId: string): Promise<UserEntity[]> {
    return this.users.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  countByRole(tenantId: string, role: Role): Promise<number> {
    return this.users.countBy({ tenantId, role });
  }

  /** Throws EmailTakenError when the email is taken (also by a concurrent insert: the unique index decides). */
  async create(tenantId: string, data: { email: string; passwordHash: string; role: Role }): Promise<UserEntity> {
    try {
      return await this.users.save(this.users.create({ ...data, email: data.email.toLowerCase(), tenantId, lastLoginAt: null }));
    } catch (err) {
      throw uniqueEmail(err);
    }
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<UserEntity, 'role' | 'passwordHash' | 'lastLoginAt' | 'sessionsValidAfter'>>): Promise<void> {
    await this.users.update({ tenantId, id }, patch);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.users.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }
}

/** A unique violation on users.email as the domain's EmailTakenError; anything else as it is. */
export function uniqueEmail(err: unknown): unknown {
  return isUniqueViolation(err, 'users_email_key') ? new EmailTakenError() : err;
}
