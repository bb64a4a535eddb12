import { Injectable, Logger } from '@nestjs/common';
import type { Plan, TenantView } from '@margin/contracts';
import { NotFoundError } from '@margin/core';
import type { Principal } from '../auth/principal';
import { OperatorOnlyError } from '../identity.errors';
import { toTenantView } from '../identity.mappers';
import { TenantRepository } from './tenant.repository';

@Injectable()
export class TenantsService {
  private readonly logger = new Logger(TenantsService.name);

  constructor(private readonly tenants: TenantRepository) {}

  async list(principal: Principal): Promise<TenantView[]> {
    this.assertOperatorOwner(principal);
    return (await this.tenants.listAll()).map(toTenantView);
  }

  async changePlan(principal: Principal, tenantId: string, plan: Plan): Promise<TenantView> {
    this.assertOperatorOwner(principal);
    const updated = await this.tenants.updatePlan(tenantId, plan);
    if (!updated) throw new NotFoundError('Tenant');
    this.logger.log({ tenantId, plan, by: principal.userId }, 'Tenant plan changed');
    return toTenantView(updated);
  }

  private assertOperatorOwner(principal: Principal): void {
    if (principal.role !== 'owner' || principal.via !== 'jwt' || !principal.operator) throw new OperatorOnlyError();
  }
}
