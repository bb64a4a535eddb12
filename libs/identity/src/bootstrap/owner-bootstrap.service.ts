import { Injectable, Logger } from '@nestjs/common';
import { PasswordHasher } from '@margin/core';
import { randomBytes } from 'node:crypto';
import { TenantRepository } from '../tenants/tenant.repository';
import { UserRepository } from '../users/user.repository';

export const DEFAULT_ADMIN_EMAIL = 'admin@margin.local';

export interface OwnerBootstrapResult {
  created: boolean;
  email: string;
  tenantId: string;
  /** Only when this run generated it: shown once, never stored in clear. */
  generatedPassword?: string;
}

/** First start: the operator's tenant (plan `unlimited`) and its owner. Later starts change nothing. */
@Injectable()
export class OwnerBootstrapService {
  private readonly logger = new Logger(OwnerBootstrapService.name);

  constructor(
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async ensureOwner(email: string | undefined, password: string | undefined): Promise<OwnerBootstrapResult> {
    const operator = await this.tenants.findOperator();
    if (operator) {
      const owner = (await this.users.listByTenant(operator.id)).find((u) => u.role === 'owner');
      return { created: false, email: owner?.email ?? email ?? DEFAULT_ADMIN_EMAIL, tenantId: operator.id };
    }
    const ownerEmail = (email ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
    const generatedPassword = password ? undefined : randomBytes(12).toString('base64url');
    const passwordHash = await this.hasher.hash(password ?? (generatedPassword as string));
    const { tenant } = await this.tenants.createWithOwner({
      tenant: { name: 'Operator', plan: 'unlimited', isOperator: true },
      owner: { email: ownerEmail, passwordHash, role: 'owner' },
    });
    this.logger.log({ tenantId: tenant.id, email: ownerEmail }, 'Created the operator tenant and its owner');
    return { created: true, email: ownerEmail, tenantId: tenant.id, generatedPassword };
  }
}
