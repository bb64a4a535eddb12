import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { Plan, Role } from '@margin/contracts';
import { DataSource, Repository } from 'typeorm';
import { UserEntity } from '../users/user.entity';
import { uniqueEmail } from '../users/user.repository';
import { TenantEntity } from './tenant.entity';

export interface NewTenantWithOwner {
  tenant: { name: string; plan: Plan; isOperator: boolean };
  owner: { email: string; passwordHash: string; role: Role };
}

@Injectable()
export class TenantRepository {
  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  findById(tenantId: string): Promise<TenantEntity | null> {
    return this.tenants.findOneBy({ id: tenantId });
  }

  findOperator(): Promise<TenantEntity | null> {
    return this.tenants.findOneBy({ isOperator: true });
  }

  /** Operator-only view across tenants, newest first. */
  listAll(): Promise<TenantEntity[]> {
    return this.tenants.find({ order: { createdAt: 'DESC' } });
  }

  async updatePlan(tenantId: string, plan: Plan): Promise<TenantEntity | null> {
    await this.tenants.update({ id: tenantId }, { plan });
    return this.findById(tenantId);
  }

  /**
   * A tenant and its first owner, in one transaction: never a tenant without an owner. Throws EmailTakenError
   * when the owner's email is taken (two sign-ups racing for one email: the unique index decides).
   */
  async createWithOwner(input: NewTenantWithOwner): Promise<{ tenant: TenantEntity; owner: UserEntity }> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const tenant = await manager.save(manager.create(TenantEntity, input.tenant));
        const owner = await manager.save(manager.create(UserEntity, { ...input.owner, tenantId: tenant.id, lastLoginAt: null }));
        return { tenant, owner };
      });
    } catch (err) {
      throw uniqueEmail(err);
    }
  }
}
